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
 *         registration / top-up, and the validators manager's withdrawal / consolidation requests
 *         (EIP-7002 / EIP-7251, as in StakeWise v5). External signatures, events and error names
 *         follow the real vault. Shares are 1:1 with assets and there is no exit queue, fee or osToken
 *         logic; consolidations take no oracle approval and withdrawals do not check the exit queue.
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
    /// EIP-7002 / EIP-7251 system contracts: an empty call returns the fee, a call with an item queues it.
    address private constant VALIDATORS_WITHDRAWALS = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    address private constant VALIDATORS_CONSOLIDATIONS = 0x0000BBdDc7CE488642fb579F8B00f3a590007251;
    /// withdrawal item: public key (48) ‖ amount in gwei as big-endian uint64 (0 = full exit)
    uint256 private constant WITHDRAWAL_LENGTH = 56;
    /// consolidation item: source public key (48) ‖ target public key (48)
    uint256 private constant CONSOLIDATION_LENGTH = 96;

    event Deposited(address indexed caller, address indexed receiver, uint256 assets, uint256 shares, address referrer);
    event ValidatorRegistered(bytes publicKey);
    event V2ValidatorRegistered(bytes publicKey, uint256 amount);
    event ValidatorFunded(bytes publicKey, uint256 amount);
    event ValidatorsManagerUpdated(address indexed caller, address indexed validatorsManager);
    event ValidatorWithdrawalSubmitted(bytes publicKey, uint256 amount, uint256 feePaid);
    event ValidatorConsolidationSubmitted(bytes fromPublicKey, bytes toPublicKey, uint256 feePaid);

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

    /// Full or partial exits through EIP-7002; msg.value must be the system contract's fee per item.
    function withdrawValidators(bytes calldata validators, bytes calldata validatorsManagerSignature)
        external
        payable
    {
        (uint256 count, uint256 fee) =
            _managerRequests(validators, validatorsManagerSignature, WITHDRAWAL_LENGTH, VALIDATORS_WITHDRAWALS);
        for (uint256 i = 0; i < count; i++) {
            bytes calldata item = validators[i * WITHDRAWAL_LENGTH:(i + 1) * WITHDRAWAL_LENGTH];
            _submitRequest(VALIDATORS_WITHDRAWALS, item, fee);
            emit ValidatorWithdrawalSubmitted(item[0:48], uint256(uint64(bytes8(item[48:56]))) * 1 gwei, fee);
        }
    }

    /// Consolidations through EIP-7251; msg.value must be the system contract's fee per item.
    /// oracleSignatures is accepted and ignored (the real vault needs it for foreign source validators).
    function consolidateValidators(
        bytes calldata validators,
        bytes calldata validatorsManagerSignature,
        bytes calldata oracleSignatures
    ) external payable {
        oracleSignatures;
        (uint256 count, uint256 fee) =
            _managerRequests(validators, validatorsManagerSignature, CONSOLIDATION_LENGTH, VALIDATORS_CONSOLIDATIONS);
        for (uint256 i = 0; i < count; i++) {
            bytes calldata item = validators[i * CONSOLIDATION_LENGTH:(i + 1) * CONSOLIDATION_LENGTH];
            _submitRequest(VALIDATORS_CONSOLIDATIONS, item, fee);
            emit ValidatorConsolidationSubmitted(item[0:48], item[48:96], fee);
        }
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

    /// The validators manager's signature (bumps the nonce), the item count and the fee each request pays.
    function _managerRequests(
        bytes calldata validators,
        bytes calldata validatorsManagerSignature,
        uint256 itemLength,
        address systemContract
    ) private returns (uint256 count, uint256 fee) {
        if (!_isValidatorsManager(validators, bytes32(validatorsManagerNonce), validatorsManagerSignature)) {
            revert AccessDenied();
        }
        count = _itemCount(validators, itemLength);
        fee = _requestFee(systemContract, count);
    }

    function _itemCount(bytes calldata validators, uint256 itemLength) private pure returns (uint256) {
        if (validators.length == 0 || validators.length % itemLength != 0) revert InvalidValidators();
        return validators.length / itemLength;
    }

    /// The system contract's fee per request (0 where it has no code); msg.value must pay `count` of them.
    function _requestFee(address systemContract, uint256 count) private view returns (uint256 fee) {
        if (systemContract.code.length != 0) {
            (bool ok, bytes memory result) = systemContract.staticcall("");
            if (!ok || result.length != 32) _bubble(result);
            fee = abi.decode(result, (uint256));
        }
        if (msg.value != fee * count) revert InvalidAssets();
    }

    /// Queues one request at the system contract, when there is one.
    function _submitRequest(address systemContract, bytes calldata item, uint256 fee) private {
        if (systemContract.code.length == 0) return;
        (bool ok, bytes memory result) = systemContract.call{value: fee}(item);
        if (!ok) _bubble(result);
    }

    function _bubble(bytes memory result) private pure {
        assembly {
            revert(add(result, 32), mload(result))
        }
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
