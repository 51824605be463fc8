package io.isomargin.abi.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.web3j.utils.Numeric;

/**
 * Tokens that are not ERC-20 metadata-compliant, installed on a local chain by {@code anvil_setCode} (test set-up
 * only): hand-assembled runtime code answering {@code decimals()} and, optionally, {@code symbol()} as a
 * {@code bytes32} (as MKR does); every other call reverts, {@code symbol()} included when none is given. Enough for
 * the engine's {@code createMarket} (which reads {@code decimals()}) and for anything reading names.
 */
public final class OddTokens {
    private OddTokens() {}

    /** Installs at {@code address} a token whose {@code symbol()} returns {@code symbol} as a {@code bytes32}. */
    public static String bytes32Symbol(TestChain chain, String address, String symbol, int decimals) {
        byte[] word = new byte[32];
        byte[] text = symbol.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(text, 0, word, 0, text.length);
        return install(chain, address, word, decimals);
    }

    /** Installs at {@code address} a token whose {@code symbol()} reverts. */
    public static String revertingSymbol(TestChain chain, String address, int decimals) {
        return install(chain, address, null, decimals);
    }

    private static String install(TestChain chain, String address, byte[] symbolWord, int decimals) {
        chain.rpc("anvil_setCode", address, Numeric.toHexString(runtime(symbolWord, decimals)));
        return address.toLowerCase(java.util.Locale.ROOT);
    }

    /** The runtime code: dispatch on the selector, answer a 32-byte word or revert. */
    static byte[] runtime(byte[] symbolWord, int decimals) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        write(c, "60003560e01c"); // the selector: calldataload(0) >> 224
        int symbolJump = -1;
        if (symbolWord != null) {
            write(c, "806395d89b411461"); // dup, push4 symbol(), eq, push2 <dest>
            symbolJump = c.size();
            write(c, "000057");
        }
        write(c, "63313ce5671461"); // push4 decimals(), eq, push2 <dest>
        int decimalsJump = c.size();
        write(c, "000057");
        write(c, "60006000fd"); // revert(0, 0)
        int symbolDest = c.size();
        if (symbolWord != null) {
            write(c, "5b7f");
            c.writeBytes(symbolWord);
            write(c, "60005260206000f3"); // mstore(0, word); return(0, 32)
        }
        int decimalsDest = c.size();
        write(c, "5b60");
        c.write(decimals);
        write(c, "60005260206000f3");
        byte[] code = c.toByteArray();
        if (symbolJump >= 0) patch(code, symbolJump, symbolDest);
        patch(code, decimalsJump, decimalsDest);
        return code;
    }

    private static void patch(byte[] code, int at, int dest) {
        code[at] = (byte) (dest >> 8);
        code[at + 1] = (byte) dest;
    }

    private static void write(ByteArrayOutputStream c, String hex) {
        c.writeBytes(Numeric.hexStringToByteArray(hex));
    }
}
