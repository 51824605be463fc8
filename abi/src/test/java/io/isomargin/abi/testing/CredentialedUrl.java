package io.isomargin.abi.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;

/**
 * An endpoint URL carrying credentials of every kind a provider uses (user info, an API-key path segment, a query) to
 * a closed port on localhost: a service started with it fails to reach it, and its secrets must show nowhere.
 *
 * @param port a port nothing listens on
 */
public record CredentialedUrl(int port) {
    private static final String KEY = "0123456789abcdef0123456789abcdef";
    /** Parts of the URL that must never be printed, logged or answered. */
    private static final List<String> SECRETS = List.of("secret", "0123456789abcdef", "key=");

    /** On a port that was free a moment ago (closed again: nothing listens there). */
    public static CredentialedUrl closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return new CredentialedUrl(s.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code scheme://user:secret@127.0.0.1:<port>/v3/<32 hex>?key=topsecret}. */
    public String url(String scheme) {
        return scheme + "://user:secret@127.0.0.1:" + port + "/v3/" + KEY + "?key=topsecret";
    }

    /** {@link #url} as {@code io.isomargin.abi.config.Redact} shows it. */
    public String masked(String scheme) {
        return scheme + "://***@127.0.0.1:" + port + "/v3/***?***";
    }

    /** Fails when {@code text} holds any secret part of the URL. */
    public static void assertNoSecretIn(CharSequence text) {
        for (String secret : SECRETS) {
            assertFalse(text.toString().contains(secret), "'" + secret + "' leaked:\n" + text);
        }
    }
}
