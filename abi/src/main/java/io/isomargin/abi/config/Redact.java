package io.isomargin.abi.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Masks the credentials an endpoint URL may carry before it reaches a log line, an error message, a JSON answer or a
 * metric tag. RPC providers put API keys in the URL: as user info ({@code https://user:pass@host}), as a path segment
 * (Infura's {@code /v3/<32 hex>}, Alchemy's {@code /v2/<key>}) or in the query ({@code ?apikey=...}). The scheme, host,
 * port and plain path segments stay, so an operator can still tell the endpoints apart.
 *
 * <p>Works on the text, not on a parsed {@link java.net.URI}: a malformed URL in a config error is masked the same way.
 */
public final class Redact {
    /** What stands in for a secret. */
    public static final String MASK = "***";
    /** A path segment that looks like an API key: 16 or more of {@code [A-Za-z0-9_-]}, at least one a digit. */
    private static final Pattern KEY_SEGMENT = Pattern.compile("(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{16,}");

    private Redact() {}

    /**
     * {@code url} with its user info, key-like path segments, query and fragment masked, e.g.
     * {@code https://u:p@mainnet.infura.io/v3/0123456789abcdef0123456789abcdef?x=1} becomes
     * {@code https://***@mainnet.infura.io/v3/***?***}. Null stays null.
     */
    public static String url(String url) {
        if (url == null) return null;
        Parts p = Parts.of(url);
        StringBuilder out = new StringBuilder(p.scheme);
        if (p.userInfo != null) out.append(MASK).append('@');
        out.append(p.host);
        if (!p.path.isEmpty()) {
            out.append(String.join("/", Arrays.stream(p.path.split("/", -1))
                    .map(s -> KEY_SEGMENT.matcher(s).matches() ? MASK : s).toList()));
        }
        if (p.query != null) out.append('?').append(MASK);
        if (p.fragment != null) out.append('#').append(MASK);
        return out.toString();
    }

    /** Each of {@code urls} masked by {@link #url(String)}, in order. */
    public static List<String> urls(Collection<String> urls) {
        return urls.stream().map(Redact::url).toList();
    }

    /**
     * {@code text} (a library's exception message, say) with the secrets of each of {@code urls} masked: the URL where
     * it appears whole, and its user info, key-like path segments, query and fragment wherever they appear.
     */
    public static String scrub(String text, Collection<String> urls) {
        if (text == null) return null;
        String out = text;
        for (String u : urls) {
            out = out.replace(u, url(u));
            for (String secret : Parts.of(u).secrets()) out = out.replace(secret, MASK);
        }
        return out;
    }

    /** A URL cut at its separators: {@code <scheme><userInfo>@<host><path>?<query>#<fragment>}. */
    private record Parts(String scheme, String userInfo, String host, String path, String query, String fragment) {
        static Parts of(String url) {
            int schemeEnd = url.indexOf("://");
            int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
            int fragmentAt = url.indexOf('#', start);
            int end = fragmentAt < 0 ? url.length() : fragmentAt;
            int queryAt = url.indexOf('?', start);
            if (queryAt >= end) queryAt = -1;
            if (queryAt >= 0) end = queryAt;
            // user info ends at the last '@' before the query, even past a '/': a malformed URL hides no less
            int at = url.lastIndexOf('@', end - 1);
            int hostAt = at < start ? start : at + 1;
            int pathAt = url.indexOf('/', hostAt);
            if (pathAt < 0 || pathAt > end) pathAt = end;
            return new Parts(url.substring(0, start), at < start ? null : url.substring(start, at),
                    url.substring(hostAt, pathAt), url.substring(pathAt, end),
                    queryAt < 0 ? null : url.substring(queryAt + 1, fragmentAt < 0 ? url.length() : fragmentAt),
                    fragmentAt < 0 ? null : url.substring(fragmentAt + 1));
        }

        /**
         * The parts {@link #url(String)} masks, but for those under 4 characters: replacing every "a" of a message
         * would hide the message, not a secret.
         */
        List<String> secrets() {
            List<String> out = new ArrayList<>();
            for (String s : new String[] {userInfo, query, fragment}) {
                if (s != null && s.length() >= 4) out.add(s);
            }
            Arrays.stream(path.split("/")).filter(s -> KEY_SEGMENT.matcher(s).matches()).forEach(out::add);
            return out;
        }
    }
}
