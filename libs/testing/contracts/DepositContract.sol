// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.22;

/**
 * @title DepositContract
 * @notice Test double of the beacon-chain deposit contract with the same external interface and checks:
 *         input lengths, a minimum of 1 ETH in whole gwei, the SSZ hash tree root of the DepositData
 *         recomputed on chain and compared with the caller's, `DepositEvent` with little-endian amount
 *         and index, and the incremental Merkle tree of depth 32 whose root `get_deposit_root()` mixes
 *         in the deposit count.
 */
contract DepositContract {
    uint256 private constant TREE_DEPTH = 32;
    uint256 private constant MAX_DEPOSITS = 2 ** TREE_DEPTH - 1;

    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);

    /// Left-hand siblings of the next leaf: at each height, the last complete subtree root.
    bytes32[TREE_DEPTH] private leftSiblings;
    /// emptySubtreeRoots[h] is the root of a subtree of height h whose leaves are all zero.
    bytes32[TREE_DEPTH] private emptySubtreeRoots;
    uint256 private depositCount;
    /// Root after the latest deposit. Kept in storage because SHA-256 is slow on JS EVMs (ganache)
    /// and the root is read far more often than deposits happen; the value is the one the official
    /// contract computes on every read.
    bytes32 private depositRoot;

    constructor() {
        for (uint256 h = 0; h + 1 < TREE_DEPTH; h++) {
            emptySubtreeRoots[h + 1] = sha256(abi.encodePacked(emptySubtreeRoots[h], emptySubtreeRoots[h]));
        }
        depositRoot = computeRoot();
    }

    function get_deposit_root() external view returns (bytes32) {
        return depositRoot;
    }

    function get_deposit_count() external view returns (bytes memory) {
        return littleEndian64(uint64(depositCount));
    }

    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable {
        require(pubkey.length == 48, "DepositContract: pubkey must be 48 bytes");
        require(withdrawal_credentials.length == 32, "DepositContract: withdrawal_credentials must be 32 bytes");
        require(signature.length == 96, "DepositContract: signature must be 96 bytes");
        require(msg.value >= 1 ether, "DepositContract: deposit below 1 ETH");
        require(msg.value % 1 gwei == 0, "DepositContract: deposit not a whole number of gwei");
        uint256 amountGwei = msg.value / 1 gwei;
        require(amountGwei <= type(uint64).max, "DepositContract: deposit above uint64 gwei");

        bytes memory amount = littleEndian64(uint64(amountGwei));
        emit DepositEvent(pubkey, withdrawal_credentials, amount, signature, littleEndian64(uint64(depositCount)));

        bytes32 leaf = depositDataRoot(pubkey, withdrawal_credentials, amount, signature);
        require(leaf == deposit_data_root, "DepositContract: deposit_data_root does not match the DepositData");
        require(depositCount < MAX_DEPOSITS, "DepositContract: merkle tree full");

        insertLeaf(leaf);
        depositRoot = computeRoot();
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        // ERC-165 itself and the deposit contract interface (deposit ^ get_deposit_root ^ get_deposit_count)
        return interfaceId == type(IERC165Like).interfaceId || interfaceId == type(IDepositContractLike).interfaceId;
    }

    /// Stores the new leaf's completed subtree at the first height where the count has a 1 bit.
    function insertLeaf(bytes32 leaf) private {
        depositCount += 1;
        uint256 size = depositCount;
        bytes32 node = leaf;
        for (uint256 h = 0; h < TREE_DEPTH; h++) {
            if (size & 1 == 1) {
                leftSiblings[h] = node;
                return;
            }
            node = sha256(abi.encodePacked(leftSiblings[h], node));
            size >>= 1;
        }
        // unreachable: a tree with fewer than 2^32 leaves always has a free slot
        assert(false);
    }

    /// hash_tree_root(List[DepositData, 2**32]): the depth-32 tree root with the count mixed in.
    function computeRoot() private view returns (bytes32) {
        bytes32 node;
        uint256 remaining = depositCount;
        for (uint256 h = 0; h < TREE_DEPTH; h++) {
            if (remaining & 1 == 1) {
                node = sha256(abi.encodePacked(leftSiblings[h], node));
            } else {
                node = sha256(abi.encodePacked(node, emptySubtreeRoots[h]));
            }
            remaining >>= 1;
        }
        // the length is mixed in as a little-endian uint256
        return sha256(abi.encodePacked(node, littleEndian64(uint64(depositCount)), bytes24(0)));
    }

    /// SSZ hash tree root of DepositData{pubkey: Bytes48, withdrawal_credentials: Bytes32, amount: uint64, signature: Bytes96}.
    function depositDataRoot(
        bytes calldata pubkey,
        bytes calldata withdrawalCredentials,
        bytes memory amountLittleEndian,
        bytes calldata signature
    ) private pure returns (bytes32) {
        // Bytes48 spans two chunks: the second is zero-padded
        bytes32 pubkeyRoot = sha256(abi.encodePacked(pubkey, bytes16(0)));
        // Bytes96 spans three chunks, padded to four
        bytes32 signatureRoot = sha256(
            abi.encodePacked(
                sha256(abi.encodePacked(signature[0:64])),
                sha256(abi.encodePacked(signature[64:96], bytes32(0)))
            )
        );
        return sha256(
            abi.encodePacked(
                sha256(abi.encodePacked(pubkeyRoot, withdrawalCredentials)),
                sha256(abi.encodePacked(amountLittleEndian, bytes24(0), signatureRoot))
            )
        );
    }

    function littleEndian64(uint64 value) private pure returns (bytes memory out) {
        out = new bytes(8);
        for (uint256 i = 0; i < 8; i++) {
            out[i] = bytes1(uint8(value >> (8 * i)));
        }
    }
}

interface IERC165Like {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

interface IDepositContractLike {
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable;

    function get_deposit_root() external view returns (bytes32);

    function get_deposit_count() external view returns (bytes memory);
}
