// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.22;

/**
 * @title Eip712Signatures
 * @notice EIP-712 domain separators and digests, and secp256k1 signature recovery that rejects
 *         malformed and malleable (high-s) signatures, as OpenZeppelin's ECDSA does.
 */
library Eip712Signatures {
    bytes32 internal constant DOMAIN_TYPE_HASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant VERSION_HASH = keccak256("1");
    uint256 internal constant SIGNATURE_LENGTH = 65;
    // half the secp256k1 group order: larger s values are the malleable twin of a valid signature
    uint256 private constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;

    function domainSeparator(string memory name, address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPE_HASH, keccak256(bytes(name)), VERSION_HASH, block.chainid, verifyingContract)
        );
    }

    function typedDataDigest(bytes32 separator, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    /// Signer of `digest`, or address(0) when the signature is malformed, malleable or does not recover.
    function tryRecover(bytes32 digest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != SIGNATURE_LENGTH) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > MAX_S) return address(0);
        if (v != 27 && v != 28) return address(0);
        return ecrecover(digest, v, r, s);
    }

    /// EOA signature, or ERC-1271 approval when `signer` is a contract.
    function isValidSignatureNow(address signer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool)
    {
        if (signer.code.length == 0) {
            address recovered = tryRecover(digest, signature);
            return recovered != address(0) && recovered == signer;
        }
        (bool ok, bytes memory result) =
            signer.staticcall(abi.encodeWithSignature("isValidSignature(bytes32,bytes)", digest, signature));
        return ok && result.length >= 32 && abi.decode(result, (bytes32)) == bytes32(ERC1271_MAGIC_VALUE);
    }
}
