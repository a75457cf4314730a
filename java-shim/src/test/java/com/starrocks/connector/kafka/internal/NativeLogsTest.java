package com.starrocks.connector.kafka.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Arrays;
import java.util.Collections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLogsTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("com.starrocks.connector.kafka.core");
    /** Captures events with their MDC as it was when they were logged. */
    private final ListAppender<ILoggingEvent> captured = new ListAppender<ILoggingEvent>() {
        @Override
        protected void append(ILoggingEvent event) {
            event.prepareForDeferredProcessing();
            super.append(event);
        }
    };

    @BeforeEach
    void capture() {
        captured.start();
        logger.addAppender(captured);
        logger.setLevel(Level.TRACE);
        logger.setAdditive(false);
    }

    @AfterEach
    void release() {
        logger.detachAppender(captured);
        logger.setLevel(null);
        logger.setAdditive(true);
        MDC.clear();
    }

    @Test
    void logsEachEventAtItsLevelUnderItsConnectorAndTask() {
        MDC.put(NativeLogs.CONTEXT_KEY, "[mine|task-0] ");

        NativeLogs.log(Arrays.asList(
                new NativeReplies.LogEvent(1, "sr", "1", "load failed: {}"),
                new NativeReplies.LogEvent(2, "sr", "2", "retrying"),
                new NativeReplies.LogEvent(3, "sr", "", "connector event"),
                new NativeReplies.LogEvent(4, "", "", "global event"),
                new NativeReplies.LogEvent(5, "sr", "1", "detail")));

        assertEquals(5, captured.list.size());
        assertEvent(0, Level.ERROR, "[sr|task-1] ", "load failed: {}");
        assertEvent(1, Level.WARN, "[sr|task-2] ", "retrying");
        assertEvent(2, Level.INFO, "[sr] ", "connector event");
        assertEvent(3, Level.DEBUG, "[mine|task-0] ", "global event");
        assertEvent(4, Level.TRACE, "[sr|task-1] ", "detail");
        assertEquals("[mine|task-0] ", MDC.get(NativeLogs.CONTEXT_KEY), "the caller's context is restored");
    }

    @Test
    void leavesNoContextBehindWhenTheCallerHadNone() {
        NativeLogs.log(Collections.singletonList(new NativeReplies.LogEvent(3, "x", "0", "boom")));
        assertEquals("[x|task-0] ", captured.list.get(0).getMDCPropertyMap().get(NativeLogs.CONTEXT_KEY));
        assertNull(MDC.get(NativeLogs.CONTEXT_KEY));
    }

    @Test
    void drainingWithoutTheLibraryDoesNothing() {
        NativeLogs.drain();
        assertEquals(0, captured.list.size());
    }

    @Test
    void theDrainThreadRunsWhileAnyTaskRuns() {
        assertFalse(NativeLogs.isDraining());
        NativeLogs.startDraining();
        NativeLogs.startDraining();
        assertTrue(NativeLogs.isDraining());
        NativeLogs.stopDraining();
        assertTrue(NativeLogs.isDraining(), "one task still runs");
        NativeLogs.stopDraining();
        assertFalse(NativeLogs.isDraining());
        NativeLogs.stopDraining();
        assertFalse(NativeLogs.isDraining(), "an extra stop changes nothing");
    }

    private void assertEvent(int i, Level level, String context, String message) {
        ILoggingEvent event = captured.list.get(i);
        assertEquals(level, event.getLevel());
        assertEquals(context, event.getMDCPropertyMap().get(NativeLogs.CONTEXT_KEY));
        assertEquals(message, event.getFormattedMessage());
    }
}
