package io.isomargin.abi.events;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.Int;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Uint;
import org.web3j.protocol.core.methods.response.BaseEventResponse;
import org.web3j.protocol.core.methods.response.Log;

/**
 * A fast path for decoding events whose parameters are all static words (uint, int, address, bool): each 32-byte word
 * is read straight from the topics and the data. web3j's general decoder compiles a regular expression for every
 * numeric field and was the costliest step of an indexer backfill.
 *
 * <p>The fast decoder fills the same generated response class as web3j. Which field takes which parameter is not
 * assumed: {@link #compile} decodes a probe log whose parameters all differ with web3j's decoder and reads the mapping
 * off the result. An event it cannot map (a struct or dynamic parameter, two bools) keeps web3j's decoder, and so does
 * any log whose shape does not match the event.
 */
final class FastEventDecoding {
    private enum Kind { UINT, INT, ADDRESS, BOOL }

    private record Setter(Field field, int param) {}

    private static final BigInteger TWO_256 = BigInteger.ONE.shiftLeft(256);
    private static final BigInteger INT_MIN = BigInteger.ONE.shiftLeft(255);

    private FastEventDecoding() {}

    /** A decoder for {@code event} equal to {@code slow} (web3j's), faster where it can be; else {@code slow}. */
    static Function<Log, BaseEventResponse> compile(Event event, Function<Log, BaseEventResponse> slow) {
        List<TypeReference<Type>> params = event.getParameters();
        Kind[] kinds = new Kind[params.size()];
        boolean[] indexed = new boolean[params.size()];
        int bools = 0;
        for (int i = 0; i < params.size(); i++) {
            Class<?> c;
            try {
                c = params.get(i).getClassType();
            } catch (ClassNotFoundException e) {
                return slow;
            }
            kinds[i] = Uint.class.isAssignableFrom(c) ? Kind.UINT : Int.class.isAssignableFrom(c) ? Kind.INT
                    : Address.class.isAssignableFrom(c) ? Kind.ADDRESS : Bool.class.isAssignableFrom(c) ? Kind.BOOL
                    : null;
            if (kinds[i] == null) return slow;
            if (kinds[i] == Kind.BOOL && ++bools > 1) return slow;
            indexed[i] = params.get(i).isIndexed();
        }
        String topic0 = EventEncoder.encode(event);
        String[] words = new String[params.size()];
        for (int i = 0; i < words.length; i++) {
            words[i] = kinds[i] == Kind.BOOL ? word(BigInteger.ONE) : word(BigInteger.valueOf(0x1000 + i));
        }
        BaseEventResponse probe;
        try {
            probe = slow.apply(log(topic0, words, indexed));
        } catch (RuntimeException e) {
            return slow;
        }
        List<Setter> setters = new ArrayList<>();
        boolean[] mapped = new boolean[params.size()];
        for (Field f : probe.getClass().getFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getDeclaringClass() == BaseEventResponse.class) continue;
            Object value;
            try {
                value = f.get(probe);
            } catch (IllegalAccessException e) {
                return slow;
            }
            int match = -1;
            for (int i = 0; i < words.length; i++) {
                if (!mapped[i] && value != null && value.equals(read(kinds[i], words[i]))) {
                    match = i;
                    break;
                }
            }
            if (match < 0) return slow;
            mapped[match] = true;
            setters.add(new Setter(f, match));
        }
        for (boolean m : mapped) if (!m) return slow;
        Class<? extends BaseEventResponse> type = probe.getClass();
        int topicCount = 1;
        for (boolean x : indexed) if (x) topicCount++;
        int dataWords = params.size() - (topicCount - 1);
        int[] position = new int[params.size()]; // topic index (indexed) or data word index
        int t = 1;
        int d = 0;
        for (int i = 0; i < params.size(); i++) position[i] = indexed[i] ? t++ : d++;
        int topics = topicCount;
        java.lang.reflect.Constructor<? extends BaseEventResponse> constructor;
        try {
            constructor = type.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            return slow;
        }
        return log -> {
            List<String> tp = log.getTopics();
            String data = log.getData();
            if (tp == null || tp.size() != topics || data == null || data.length() != 2 + 64 * dataWords) {
                return slow.apply(log);
            }
            try {
                BaseEventResponse r = constructor.newInstance();
                for (Setter s : setters) {
                    int i = s.param();
                    Object value;
                    if (indexed[i]) {
                        String topic = tp.get(position[i]);
                        int at = topic.startsWith("0x") ? 2 : 0;
                        if (topic.length() != at + 64) return slow.apply(log);
                        value = read(kinds[i], topic, at);
                    } else {
                        value = read(kinds[i], data, 2 + 64 * position[i]);
                    }
                    s.field().set(r, value);
                }
                r.log = log;
                return r;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return slow.apply(log);
            }
        };
    }

    private static Object read(Kind kind, String word) {
        return read(kind, word, 0);
    }

    /** The value of the 64-digit word at {@code at} of {@code hex}, which must end there (a topic) or go on (data). */
    private static Object read(Kind kind, String hex, int at) {
        if (kind == Kind.ADDRESS) return address(hex, at);
        BigInteger v = unsigned(hex, at);
        return switch (kind) {
            case UINT -> v;
            case INT -> v.compareTo(INT_MIN) >= 0 ? v.subtract(TWO_256) : v;
            case BOOL -> v.signum() != 0;
            case ADDRESS -> throw new AssertionError();
        };
    }

    /** The address in the word at {@code at}: its last 20 bytes, {@code 0x} and lower-case, as web3j gives it. */
    private static String address(String hex, int at) {
        checkWord(hex, at);
        byte[] text = new byte[42];
        text[0] = '0';
        text[1] = 'x';
        int bad = 0;
        for (int i = 0; i < 40; i++) {
            char c = hex.charAt(at + 24 + i);
            bad |= digit(c);
            text[2 + i] = (byte) (c | 0x20); // 'A'-'F' to 'a'-'f'; digits and 'a'-'f' have the bit already
        }
        if (bad < 0) throw new NumberFormatException("not hex: " + hex);
        return new String(text, StandardCharsets.ISO_8859_1);
    }

    /** A 64-digit hex word as an unsigned number; most amounts fit a long, parsed without BigInteger's general path. */
    static BigInteger unsigned(String word) {
        if (word.length() != 64) throw new NumberFormatException("not a 32-byte word: " + word);
        return unsigned(word, 0);
    }

    /**
     * The 64-digit hex word at {@code at} of {@code hex} as an unsigned number, read in place as four longs of 16
     * digits: a value under 2^63 without further work, a larger one through its 32 bytes (no substring, no radix
     * conversion).
     */
    private static BigInteger unsigned(String hex, int at) {
        checkWord(hex, at);
        long w0 = long16(hex, at);
        long w1 = long16(hex, at + 16);
        long w2 = long16(hex, at + 32);
        long w3 = long16(hex, at + 48);
        if ((w0 | w1 | w2) == 0 && w3 >= 0) return BigInteger.valueOf(w3);
        byte[] bytes = new byte[32];
        long[] words = {w0, w1, w2, w3};
        for (int b = 0; b < 32; b++) bytes[b] = (byte) (words[b >> 3] >>> (56 - 8 * (b & 7)));
        return new BigInteger(1, bytes);
    }

    /** The 16 hex digits at {@code at} as the bits of a long. */
    private static long long16(String hex, int at) {
        long v = 0;
        int bad = 0;
        for (int i = at; i < at + 16; i++) {
            int d = digit(hex.charAt(i));
            bad |= d;
            v = (v << 4) | (d & 0xF);
        }
        if (bad < 0) throw new NumberFormatException("not hex: " + hex);
        return v;
    }

    private static void checkWord(String hex, int at) {
        if (hex.length() < at + 64) throw new NumberFormatException("not a 32-byte word at " + at + ": " + hex);
    }

    /** The value of hex digit {@code c}, or -1. */
    private static int digit(char c) {
        return c < 128 ? HEX[c] : -1;
    }

    private static final byte[] HEX = new byte[128];

    static {
        java.util.Arrays.fill(HEX, (byte) -1);
        for (int i = 0; i < 10; i++) HEX['0' + i] = (byte) i;
        for (int i = 0; i < 6; i++) {
            HEX['a' + i] = (byte) (10 + i);
            HEX['A' + i] = (byte) (10 + i);
        }
    }

    private static String word(BigInteger v) {
        String hex = v.toString(16);
        return "0".repeat(64 - hex.length()) + hex;
    }

    private static Log log(String topic0, String[] words, boolean[] indexed) {
        List<String> topics = new ArrayList<>();
        topics.add(topic0);
        StringBuilder data = new StringBuilder("0x");
        for (int i = 0; i < words.length; i++) {
            if (indexed[i]) {
                topics.add("0x" + words[i]);
            } else {
                data.append(words[i]);
            }
        }
        Log l = new Log();
        l.setTopics(topics);
        l.setData(data.toString());
        return l;
    }
}
