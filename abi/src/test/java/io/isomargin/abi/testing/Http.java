package io.isomargin.abi.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * HTTP for tests that call a service's endpoints: one HTTP/1.1 client for the JVM, and a deadline kept by the caller's
 * own wait. A test once waited 12 minutes in {@code HttpClient.send} with a 10 s timeout set: the JDK client's default
 * h2c upgrade was answered in HTTP/1.1 and the body read as HTTP/2 frames (the services now refuse h2c too). A request
 * is sent asynchronously and waited for with {@code get(timeout)}; one that is not answered in time is sent once
 * more, then fails the test naming the address.
 */
public final class Http {
    /** HTTP/1.1: the JDK client otherwise asks plain-text servers to upgrade to HTTP/2 (h2c). */
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Http() {}

    /** {@code GET uri}, body as text. */
    public static HttpResponse<String> get(URI uri) throws Exception {
        return send(HttpRequest.newBuilder(uri).timeout(WAIT).GET().build());
    }

    /** {@code GET url}, body as text. */
    public static HttpResponse<String> get(String url) throws Exception {
        return get(URI.create(url));
    }

    /** Sends {@code request} (idempotent: it may be sent twice), body as text. */
    public static HttpResponse<String> send(HttpRequest request) throws Exception {
        try {
            return once(request);
        } catch (TimeoutException first) {
            try {
                return once(request);
            } catch (TimeoutException second) {
                throw new AssertionError(request.method() + " " + request.uri() + " unanswered twice in " + WAIT,
                        second);
            }
        }
    }

    private static HttpResponse<String> once(HttpRequest request) throws Exception {
        var pending = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        try {
            return pending.get(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.net.http.HttpTimeoutException) throw new TimeoutException(e.getMessage());
            if (e.getCause() instanceof Exception cause) throw cause;
            throw e;
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw e;
        }
    }
}
