// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.22;

import {Eip712Signatures} from "./Eip712Signatures.sol";

interface IValidatorsRegistry {
    function get_deposit_root() external view returns (bytes32);
}

/**
 * @title Keeper
 * @notice Test double of the StakeWise v3 Keeper, limited to the oracle set, the protocol config event
 *         and validator registration approvals. External signatures, events and error names follow
 *         the real contract. Rewards and exit-signature updates are not modelled: the harvest views
 *         answer "nothing to harvest", and any address may ask for an approval (the real Keeper also
 *         checks the caller against the VaultsRegistry; here the signed message binds the vault).
 */
contract Keeper {
    struct ApprovalParams {
        bytes32 validatorsRegistryRoot;
        uint256 deadline;
        bytes validators;
        bytes signatures;
        string exitSignaturesIpfsHash;
    }

    bytes32 private constant KEEPER_VALIDATORS_TYPE_HASH = keccak256(
        "KeeperValidators(bytes32 validatorsRegistryRoot,address vault,bytes validators,string exitSignaturesIpfsHash,uint256 deadline)"
    );
    string private constant DOMAIN_NAME = "KeeperOracles";
    uint256 private constant MAX_ORACLES = 30;

    event OracleAdded(address indexed oracle);
    event OracleRemoved(address indexed oracle);
    event ConfigUpdated(string configIpfsHash);
    event ValidatorsApproval(address indexed vault, string exitSignaturesIpfsHash);
    event ValidatorsMinOraclesUpdated(uint256 oracles);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error OwnableUnauthorizedAccount(address account);
    error DeadlineExpired();
    error InvalidValidatorsRegistryRoot();
    error InvalidOracles();
    error NotEnoughSignatures();
    error InvalidOracle();
    error ECDSAInvalidSignature();
    error AlreadyAdded();
    error AlreadyRemoved();
    error MaxOraclesExceeded();

    IValidatorsRegistry private immutable validatorsRegistry;
    address public owner;
    mapping(address => bool) public isOracle;
    uint256 public totalOracles;
    uint256 public validatorsMinOracles;
    uint256 public rewardsMinOracles;
    mapping(address => bool) public isCollateralized;

    modifier onlyOwner() {
        if (msg.sender != owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    constructor(IValidatorsRegistry _validatorsRegistry, address[] memory oracles, uint256 _validatorsMinOracles) {
        validatorsRegistry = _validatorsRegistry;
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        for (uint256 i = 0; i < oracles.length; i++) {
            _addOracle(oracles[i]);
        }
        _setValidatorsMinOracles(_validatorsMinOracles);
        rewardsMinOracles = _validatorsMinOracles;
    }

    function addOracle(address oracle) external onlyOwner {
        _addOracle(oracle);
    }

    function removeOracle(address oracle) external onlyOwner {
        if (!isOracle[oracle]) revert AlreadyRemoved();
        isOracle[oracle] = false;
        totalOracles -= 1;
        emit OracleRemoved(oracle);
    }

    function updateConfig(string calldata configIpfsHash) external onlyOwner {
        emit ConfigUpdated(configIpfsHash);
    }

    function setValidatorsMinOracles(uint256 _validatorsMinOracles) external onlyOwner {
        _setValidatorsMinOracles(_validatorsMinOracles);
    }

    function approveValidators(ApprovalParams calldata params) external {
        if (params.deadline < block.timestamp) revert DeadlineExpired();
        if (validatorsRegistry.get_deposit_root() != params.validatorsRegistryRoot) {
            revert InvalidValidatorsRegistryRoot();
        }
        bytes32 structHash = keccak256(
            abi.encode(
                KEEPER_VALIDATORS_TYPE_HASH,
                params.validatorsRegistryRoot,
                msg.sender,
                keccak256(params.validators),
                keccak256(bytes(params.exitSignaturesIpfsHash)),
                params.deadline
            )
        );
        _verifySignatures(validatorsMinOracles, structHash, params.signatures);
        isCollateralized[msg.sender] = true;
        emit ValidatorsApproval(msg.sender, params.exitSignaturesIpfsHash);
    }

    function canHarvest(address) external pure returns (bool) {
        return false;
    }

    function isHarvestRequired(address) external pure returns (bool) {
        return false;
    }

    /// ERC-5267 description of the signing domain.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (hex"0f", DOMAIN_NAME, "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /**
     * The first `required` 65-byte signatures must come from distinct oracles, in strictly ascending
     * signer-address order (which is what makes them distinct); further bytes are ignored, as in the
     * real Keeper.
     */
    function _verifySignatures(uint256 required, bytes32 structHash, bytes calldata signatures) private view {
        if (required == 0) revert InvalidOracles();
        if (signatures.length < required * Eip712Signatures.SIGNATURE_LENGTH) revert NotEnoughSignatures();
        bytes32 digest = Eip712Signatures.typedDataDigest(
            Eip712Signatures.domainSeparator(DOMAIN_NAME, address(this)), structHash
        );
        address previous;
        for (uint256 i = 0; i < required; i++) {
            uint256 start = i * Eip712Signatures.SIGNATURE_LENGTH;
            address signer =
                Eip712Signatures.tryRecover(digest, signatures[start:start + Eip712Signatures.SIGNATURE_LENGTH]);
            if (signer == address(0)) revert ECDSAInvalidSignature();
            if (signer <= previous || !isOracle[signer]) revert InvalidOracle();
            previous = signer;
        }
    }

    function _addOracle(address oracle) private {
        if (isOracle[oracle]) revert AlreadyAdded();
        if (totalOracles + 1 > MAX_ORACLES) revert MaxOraclesExceeded();
        isOracle[oracle] = true;
        totalOracles += 1;
        emit OracleAdded(oracle);
    }

    function _setValidatorsMinOracles(uint256 _validatorsMinOracles) private {
        if (_validatorsMinOracles == 0 || _validatorsMinOracles > totalOracles) revert InvalidOracles();
        validatorsMinOracles = _validatorsMinOracles;
        emit ValidatorsMinOraclesUpdated(_validatorsMinOracles);
    }
}
