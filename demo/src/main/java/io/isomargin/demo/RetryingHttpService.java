package io.isomargin.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import org.web3j.protocol.http.HttpService;

/**
 * The demo driver's JSON-RPC transport: timeouts sized for a loaded machine (a Hardhat node answering a busy block
 * took over 10 s, web3j's default) and every request retried after a transport failure (a timeout, a reset). Every
 * call the demo makes is safe to repeat: reads, and raw transactions, whose second copy the node knows by hash
 * ({@link TxBatch} takes "already known" as sent).
 */
final class RetryingHttpService extends HttpService {
    static final int ATTEMPTS = 4;
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final Duration READ = Duration.ofSeconds(60);

    private RetryingHttpService(String url) {
        super(url, HttpService.getOkHttpClientBuilder().connectTimeout(CONNECT).readTimeout(READ).writeTimeout(READ)
                .build());
    }

    static RetryingHttpService of(String url) {
        return new RetryingHttpService(url);
    }

    @Override
    protected InputStream performIO(String request) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return super.performIO(request);
            } catch (IOException e) {
                if (attempt == ATTEMPTS || Thread.currentThread().isInterrupted()) {
                    throw new IOException("the node at " + getUrl() + " failed " + attempt + " times ("
                            + e.getMessage() + ") on " + method(request), e);
                }
                try {
                    Thread.sleep(500L << (attempt - 1)); // 0.5, 1, 2 s
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while retrying " + method(request));
                }
            }
        }
    }

    /** The JSON-RPC method a request names, for the error message. */
    static String method(String request) {
        int i = request.indexOf("\"method\"");
        if (i < 0) return "a request";
        int open = request.indexOf('"', request.indexOf(':', i) + 1);
        int close = open < 0 ? -1 : request.indexOf('"', open + 1);
        return close < 0 ? "a request" : request.substring(open + 1, close) + (request.startsWith("[") ? " (batch)" : "");
    }
}
