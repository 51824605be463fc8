package io.isomargin.abi.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Every log event from {@link #start} to {@link #close}, with the given loggers lowered to DEBUG meanwhile (their
 * levels restored on close): for tests that check what a service logs.
 */
public final class CapturedLogs implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Map<Logger, Level> lowered = new HashMap<>();

    private CapturedLogs(List<String> debugLoggers) {
        for (String name : debugLoggers) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            lowered.put(logger, logger.getLevel());
            logger.setLevel(Level.DEBUG);
        }
        appender.start();
        root.addAppender(appender);
    }

    /** Captures from now on, with {@code debugLoggers} at DEBUG. */
    public static CapturedLogs start(String... debugLoggers) {
        return new CapturedLogs(List.of(debugLoggers));
    }

    /** Whether some event's message so far contains {@code text}. */
    public boolean contains(String text) {
        return List.copyOf(appender.list).stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }

    /** Every message so far, one a line, each followed by its exception's messages down the cause chain. */
    public String text() {
        StringBuilder out = new StringBuilder();
        for (ILoggingEvent e : List.copyOf(appender.list)) {
            out.append(e.getFormattedMessage()).append('\n');
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                out.append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        lowered.forEach(Logger::setLevel);
    }
}
