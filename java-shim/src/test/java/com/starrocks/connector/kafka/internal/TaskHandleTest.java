package com.starrocks.connector.kafka.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskHandleTest {
    @Test
    void stopsOnceAndLaterCallsSeeNoHandle() {
        TaskHandle handle = new TaskHandle();
        List<Long> stopped = Collections.synchronizedList(new ArrayList<Long>());
        handle.stop(stopped::add);
        handle.set(42);
        handle.stop(stopped::add);
        handle.stop(stopped::add);
        assertEquals(Collections.singletonList(42L), stopped);
        assertEquals(0, handle.acquire());
        handle.release();
    }

    @Test
    void stopWaitsForACallInFlight() throws Exception {
        TaskHandle handle = new TaskHandle();
        handle.set(7);
        CountDownLatch stopDone = new CountDownLatch(1);
        long h = handle.acquire();
        Thread stopper = new Thread(() -> {
            handle.stop(x -> { });
            stopDone.countDown();
        });
        try {
            stopper.start();
            assertFalse(stopDone.await(200, TimeUnit.MILLISECONDS),
                    "stop must wait while handle " + h + " is in use");
        } finally {
            handle.release();
        }
        assertTrue(stopDone.await(10, TimeUnit.SECONDS), "stop proceeds once the call returns");
        stopper.join();
    }
}
