package io.isomargin.abi.follower;

import io.isomargin.abi.config.Redact;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.java_websocket.handshake.ServerHandshake;
import org.web3j.protocol.websocket.WebSocketClient;
import org.web3j.protocol.websocket.WebSocketListener;
import org.web3j.protocol.websocket.WebSocketService;

/**
 * An {@code eth_subscribe("newHeads")} over WebSocket that reports each new head number and reconnects with backoff
 * when the socket fails. Head following does not depend on it: the follower keeps polling, the subscription only
 * wakes it as soon as a block arrives. Reports -1 on each (re)connection, when blocks may have been missed.
 */
final class NewHeadsSubscription implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NewHeadsSubscription.class);
    private static final Duration MIN_RECONNECT = Duration.ofSeconds(1);
    private static final Duration MAX_RECONNECT = Duration.ofSeconds(60);

    private final String url;
    /** {@link #url} as logs show it: credentials masked. */
    private final String shown;
    private final LongConsumer onHead;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object lock = new Object();
    private volatile boolean connected;
    private Thread thread;

    NewHeadsSubscription(String url, LongConsumer onHead) {
        this.url = url;
        this.shown = Redact.url(url);
        this.onHead = onHead;
    }

    /** Starts connecting in the background. */
    void start() {
        thread = Thread.ofVirtual().name("new-heads-ws").start(this::run);
    }

    /** Whether the socket is up and subscribed. */
    boolean connected() {
        return connected;
    }

    private void run() {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            log.warn("newHeads socket {} is not a URL ({}); polling only", shown, e.getReason());
            return;
        }
        Duration backoff = MIN_RECONNECT;
        while (!closed.get()) {
            WebSocketService socket = new WebSocketService(new QuietClient(uri, shown), false);
            AtomicBoolean lost = new AtomicBoolean();
            try {
                socket.connect(message -> { }, error -> signalLost(lost), () -> signalLost(lost));
                Web3j web3j = Web3j.build(socket); // not shut down: that would stop the shared default executor
                web3j.newHeadsNotifications().subscribe(
                        n -> onHead.accept(Long.decode(n.getParams().getResult().getNumber())),
                        error -> signalLost(lost));
                connected = true;
                backoff = MIN_RECONNECT;
                onHead.accept(-1); // blocks may have arrived while it was down
                log.info("newHeads subscription on {} active", shown);
                synchronized (lock) {
                    while (!lost.get() && !closed.get()) {
                        lock.wait();
                    }
                }
                if (!closed.get()) {
                    log.warn("newHeads socket {} lost; polling only until it reconnects", shown);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                log.warn("newHeads socket {} unavailable ({}); polling only, retrying in {} s", shown,
                        Redact.scrub(e.toString(), List.of(url)),
                        backoff.toSeconds());
            } finally {
                connected = false;
                // No eth_unsubscribe (dispose): its answer would arrive after the close and web3j would log it as an
                // error. Closing the socket ends the subscription on the node's side.
                socket.close();
            }
            if (!sleep(backoff)) {
                return;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_RECONNECT) > 0 ? MAX_RECONNECT : backoff.multipliedBy(2);
        }
    }

    private void signalLost(AtomicBoolean lost) {
        synchronized (lock) {
            lost.set(true);
            lock.notifyAll();
        }
    }

    private boolean sleep(Duration d) {
        synchronized (lock) {
            long deadline = System.nanoTime() + d.toNanos();
            try {
                while (!closed.get()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return true;
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * web3j's socket client without its own log lines, which print the URL whole (an API key in its path or query
     * with it); the listener still hears every message, error and close, and failures are logged here, masked.
     */
    private static final class QuietClient extends WebSocketClient {
        private final String shown;
        private volatile WebSocketListener listener;

        QuietClient(URI uri, String shown) {
            super(uri);
            this.shown = shown;
        }

        @Override
        public void setListener(WebSocketListener listener) {
            super.setListener(listener);
            this.listener = listener;
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            // the subscription logs when it is active
        }

        @Override
        public void onMessage(String message) {
            WebSocketListener l = listener;
            if (l == null) return;
            try {
                l.onMessage(message);
            } catch (Exception e) {
                log.warn("newHeads socket {}: a message could not be processed ({})", shown,
                        e.getClass().getSimpleName());
            }
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            WebSocketListener l = listener;
            if (l != null) l.onClose();
        }

        @Override
        public void onError(Exception e) {
            WebSocketListener l = listener;
            if (l != null) l.onError(e);
        }
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
