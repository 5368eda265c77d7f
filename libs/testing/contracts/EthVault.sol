// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.22;

import {Eip712Signatures} from "./Eip712Signatures.sol";
import {Keeper} from "./Keeper.sol";

interface IEthValidatorsRegistry {
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable;
}

/**
 * @title EthVault
 * @notice Test double of a StakeWise v3 EthVault, limited to staking deposits and validator
 *         registration / top-up. External signatures, events and error names follow the real vault.
 *         Shares are 1:1 with assets and there is no exit queue, fee or osToken logic; validator
 *         withdrawals and consolidations (EIP-7002 / EIP-7251) are not modelled.
 */
contract EthVault {
    struct ValidatorDeposit {
        bytes publicKey;
        bytes signature;
        bytes withdrawalCredentials;
        bytes32 depositDataRoot;
        uint256 depositAmount;
    }

    bytes32 private constant VAULT_VALIDATORS_TYPE_HASH =
        keccak256("VaultValidators(bytes32 validatorsRegistryRoot,bytes validators)");
    string private constant DOMAIN_NAME = "VaultValidators";
    uint256 private constant V1_VALIDATOR_LENGTH = 176;
    uint256 private constant V2_VALIDATOR_LENGTH = 184;
    uint256 private constant MIN_EFFECTIVE_BALANCE = 32 ether;
    uint256 private constant MAX_EFFECTIVE_BALANCE = 2048 ether;
    uint8 private constant VERSION = 5;

    event Deposited(address indexed caller, address indexed receiver, uint256 assets, uint256 shares, address referrer);
    event ValidatorRegistered(bytes publicKey);
    event V2ValidatorRegistered(bytes publicKey, uint256 amount);
    event ValidatorFunded(bytes publicKey, uint256 amount);
    event ValidatorsManagerUpdated(address indexed caller, address indexed validatorsManager);

    error AccessDenied();
    error InvalidAssets();
    error InvalidValidators();
    error CannotTopUpV1Validators();
    error ValueNotChanged();

    Keeper private immutable keeper;
    IEthValidatorsRegistry private immutable validatorsRegistry;
    address public admin;
    address public validatorsManager;
    uint256 public validatorsManagerNonce;
    mapping(bytes32 => bool) public v2Validators;
    uint256 public totalAssets;
    uint256 public totalShares;
    mapping(address => uint256) private shares;

    constructor(Keeper _keeper, IEthValidatorsRegistry _validatorsRegistry, address _admin, address _validatorsManager) {
        keeper = _keeper;
        validatorsRegistry = _validatorsRegistry;
        admin = _admin;
        validatorsManager = _validatorsManager;
        emit ValidatorsManagerUpdated(msg.sender, _validatorsManager);
    }

    receive() external payable {
        _deposit(msg.sender, msg.value, address(0));
    }

    function deposit(address receiver, address referrer) external payable returns (uint256) {
        return _deposit(receiver, msg.value, referrer);
    }

    function version() external pure returns (uint8) {
        return VERSION;
    }

    function vaultId() external pure returns (bytes32) {
        return keccak256("EthVault");
    }

    function isStateUpdateRequired() external pure returns (bool) {
        return false;
    }

    /// ETH held by the vault and free to stake (no exit queue here).
    function withdrawableAssets() public view returns (uint256) {
        return address(this).balance;
    }

    function getShares(address account) external view returns (uint256) {
        return shares[account];
    }

    function setValidatorsManager(address _validatorsManager) external {
        if (msg.sender != admin) revert AccessDenied();
        if (_validatorsManager == validatorsManager) revert ValueNotChanged();
        validatorsManager = _validatorsManager;
        emit ValidatorsManagerUpdated(msg.sender, _validatorsManager);
    }

    function registerValidators(Keeper.ApprovalParams calldata keeperParams, bytes calldata validatorsManagerSignature)
        external
    {
        keeper.approveValidators(keeperParams);
        if (!_isValidatorsManager(keeperParams.validators, keeperParams.validatorsRegistryRoot, validatorsManagerSignature))
        {
            revert AccessDenied();
        }
        _depositToRegistry(_validatorDeposits(keeperParams.validators, false));
    }

    function fundValidators(bytes calldata validators, bytes calldata validatorsManagerSignature) external {
        if (!_isValidatorsManager(validators, bytes32(validatorsManagerNonce), validatorsManagerSignature)) {
            revert AccessDenied();
        }
        _depositToRegistry(_validatorDeposits(validators, true));
    }

    function multicall(bytes[] calldata data) external returns (bytes[] memory results) {
        results = new bytes[](data.length);
        for (uint256 i = 0; i < data.length; i++) {
            (bool ok, bytes memory result) = address(this).delegatecall(data[i]);
            if (!ok) {
                // bubble up the inner revert reason unchanged
                assembly {
                    revert(add(result, 32), mload(result))
                }
            }
            results[i] = result;
        }
    }

    function _deposit(address receiver, uint256 assets, address referrer) private returns (uint256 mintedShares) {
        if (assets == 0) revert InvalidAssets();
        mintedShares = assets;
        totalAssets += assets;
        totalShares += mintedShares;
        shares[receiver] += mintedShares;
        emit Deposited(msg.sender, receiver, assets, mintedShares, referrer);
    }

    /// An empty signature means the caller must be the manager; a valid signature bumps the nonce.
    function _isValidatorsManager(bytes calldata validators, bytes32 registryRoot, bytes calldata signature)
        private
        returns (bool)
    {
        address manager = validatorsManager;
        if (manager == address(0) || validators.length == 0) return false;
        if (signature.length == 0) return msg.sender == manager;
        bytes32 structHash = keccak256(abi.encode(VAULT_VALIDATORS_TYPE_HASH, registryRoot, keccak256(validators)));
        bytes32 digest = Eip712Signatures.typedDataDigest(
            Eip712Signatures.domainSeparator(DOMAIN_NAME, address(this)), structHash
        );
        bool valid = Eip712Signatures.isValidSignatureNow(manager, digest, signature);
        if (valid) validatorsManagerNonce += 1;
        return valid;
    }

    /// A batch is all V1 (176 bytes each) or all V2 (184 bytes each); a length fitting both or neither is invalid.
    function _validatorDeposits(bytes calldata validators, bool isTopUp)
        private
        returns (ValidatorDeposit[] memory deposits)
    {
        uint256 length = validators.length;
        bool fitsV1 = length % V1_VALIDATOR_LENGTH == 0;
        bool fitsV2 = length % V2_VALIDATOR_LENGTH == 0;
        if (length == 0 || fitsV1 == fitsV2) revert InvalidValidators();
        if (isTopUp && fitsV1) revert CannotTopUpV1Validators();

        uint256 itemLength = fitsV1 ? V1_VALIDATOR_LENGTH : V2_VALIDATOR_LENGTH;
        uint256 count = length / itemLength;
        deposits = new ValidatorDeposit[](count);
        for (uint256 i = 0; i < count; i++) {
            bytes calldata item = validators[i * itemLength:(i + 1) * itemLength];
            ValidatorDeposit memory d;
            d.publicKey = item[0:48];
            d.signature = item[48:144];
            d.depositDataRoot = bytes32(item[144:176]);
            d.depositAmount = fitsV1 ? MIN_EFFECTIVE_BALANCE : uint256(uint64(bytes8(item[176:184]))) * 1 gwei;
            d.withdrawalCredentials = abi.encodePacked(fitsV1 ? bytes1(0x01) : bytes1(0x02), bytes11(0), address(this));
            deposits[i] = d;

            bytes32 publicKeyHash = keccak256(d.publicKey);
            if (isTopUp) {
                if (!v2Validators[publicKeyHash]) revert InvalidValidators();
                emit ValidatorFunded(d.publicKey, d.depositAmount);
                continue;
            }
            if (d.depositAmount < MIN_EFFECTIVE_BALANCE || d.depositAmount > MAX_EFFECTIVE_BALANCE) {
                revert InvalidAssets();
            }
            if (fitsV1) {
                emit ValidatorRegistered(d.publicKey);
            } else {
                v2Validators[publicKeyHash] = true;
                emit V2ValidatorRegistered(d.publicKey, d.depositAmount);
            }
        }
    }

    /// Reverts with an arithmetic panic when the vault holds too little ETH, as the real vault does.
    function _depositToRegistry(ValidatorDeposit[] memory deposits) private {
        uint256 available = withdrawableAssets();
        for (uint256 i = 0; i < deposits.length; i++) {
            ValidatorDeposit memory d = deposits[i];
            available -= d.depositAmount;
            validatorsRegistry.deposit{value: d.depositAmount}(
                d.publicKey, d.withdrawalCredentials, d.signature, d.depositDataRoot
            );
        }
    }
}
