package io.isomargin.abi.tokens;

import io.isomargin.abi.follower.RpcClient;
import io.isomargin.abi.follower.RpcErrorKind;
import io.isomargin.abi.follower.RpcException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.utils.Numeric;

/**
 * Reads a token's {@code symbol()} and {@code decimals()} by {@code eth_call} through the shared {@link RpcClient}.
 *
 * <p>Tokens differ: {@code symbol()} may return an ABI {@code string} (ERC-20), a {@code bytes32} (MKR and other
 * early tokens), revert, or not exist; the symbol is then the short address ({@link TokenMetadata#shortAddress}).
 * {@code decimals()} outside 0..255 or missing gives null decimals. Only an answer of the token counts: a call the
 * node rejected ({@link RpcErrorKind#PERMANENT}: a revert) is the token's answer, while a transient failure (timeout,
 * HTTP 5xx, every endpoint down, after the client's own retries) is thrown, so a caller retries later rather than
 * storing a fallback for a token that has a symbol.
 */
public final class TokenReader {
    private static final String SYMBOL = "0x95d89b41";
    private static final String DECIMALS = "0x313ce567";
    /** Longer symbols are cut: a name is for reading, not for a token's marketing text. */
    static final int MAX_SYMBOL = 32;

    private final RpcClient rpc;

    public TokenReader(RpcClient rpc) {
        this.rpc = Objects.requireNonNull(rpc, "rpc");
    }

    /**
     * The token's metadata at the node's latest block.
     *
     * @throws RpcException a transient failure (retry later); never for a token that reverts
     */
    public TokenMetadata read(String token) {
        String address = token.toLowerCase(java.util.Locale.ROOT);
        Optional<byte[]> symbolAnswer = call(address, SYMBOL);
        Optional<byte[]> decimalsAnswer = call(address, DECIMALS);
        Integer decimals = decimalsAnswer.map(TokenReader::decodeDecimals).orElse(null);
        Optional<String> string = symbolAnswer.flatMap(TokenReader::decodeString);
        if (string.isPresent()) return new TokenMetadata(address, string.get(), decimals, TokenMetadata.Source.STRING);
        Optional<String> bytes32 = symbolAnswer.flatMap(TokenReader::decodeBytes32);
        if (bytes32.isPresent()) {
            return new TokenMetadata(address, bytes32.get(), decimals, TokenMetadata.Source.BYTES32);
        }
        return new TokenMetadata(address, TokenMetadata.shortAddress(address), decimals, TokenMetadata.Source.ADDRESS);
    }

    /** The call's return data, or empty when the token reverted (the node rejected the call). */
    private Optional<byte[]> call(String token, String selector) {
        try {
            EthCall r = rpc.call(w -> w.ethCall(Transaction.createEthCallTransaction(null, token, selector),
                    DefaultBlockParameterName.LATEST));
            if (r.isReverted()) return Optional.empty();
            return Optional.of(Numeric.hexStringToByteArray(r.getValue() == null ? "0x" : r.getValue()));
        } catch (RpcException e) {
            if (e.kind() == RpcErrorKind.PERMANENT) return Optional.empty();
            throw e;
        }
    }

    /** An ABI-encoded {@code string} return value (offset, length, bytes), when well formed and readable. */
    static Optional<String> decodeString(byte[] data) {
        if (data.length < 64) return Optional.empty();
        BigInteger offset = new BigInteger(1, Arrays.copyOfRange(data, 0, 32));
        if (offset.compareTo(BigInteger.valueOf(data.length - 32L)) > 0) return Optional.empty();
        int at = offset.intValueExact();
        BigInteger length = new BigInteger(1, Arrays.copyOfRange(data, at, at + 32));
        if (length.compareTo(BigInteger.valueOf(data.length - at - 32L)) > 0) return Optional.empty();
        return readable(Arrays.copyOfRange(data, at + 32, at + 32 + length.intValueExact()));
    }

    /** A {@code bytes32} return value: the text before its first zero byte, when readable. */
    static Optional<String> decodeBytes32(byte[] data) {
        if (data.length != 32) return Optional.empty();
        int end = 0;
        while (end < 32 && data[end] != 0) end++;
        for (int i = end; i < 32; i++) {
            if (data[i] != 0) return Optional.empty(); // not zero-padded text
        }
        return readable(Arrays.copyOf(data, end));
    }

    static Integer decodeDecimals(byte[] data) {
        if (data.length < 32) return null;
        BigInteger d = new BigInteger(1, Arrays.copyOfRange(data, 0, 32));
        return d.compareTo(BigInteger.valueOf(255)) > 0 ? null : d.intValue();
    }

    /** Valid UTF-8 without control characters, trimmed, not empty, at most {@value #MAX_SYMBOL} characters. */
    private static Optional<String> readable(byte[] bytes) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
        if (s.codePoints().anyMatch(Character::isISOControl)) return Optional.empty();
        s = s.strip();
        if (s.isEmpty()) return Optional.empty();
        return Optional.of(s.length() > MAX_SYMBOL ? s.substring(0, MAX_SYMBOL) : s);
    }
}
