package com.starrocks.connector.kafka.internal;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;

/**
 * A task's native handle, guarded so that {@link #stop} never frees it while a call is using
 * it: calls hold the read lock for their duration ({@link #acquire} / {@link #release}); stop
 * takes the write lock, so it waits for calls in flight and later calls see a stopped handle.
 */
public final class TaskHandle {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    /** Installs a freshly started handle. */
    public void set(long newHandle) {
        lock.writeLock().lock();
        try {
            handle = newHandle;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Takes the read lock and returns the handle, 0 when stopped or never started. The caller
     * must call {@link #release()} in a {@code finally} block, whatever this returned.
     */
    public long acquire() {
        lock.readLock().lock();
        return handle;
    }

    public void release() {
        lock.readLock().unlock();
    }

    /**
     * Clears the handle and passes it to {@code stopper} once calls in flight are done; a
     * second call, or a call before {@link #set}, does nothing.
     */
    public void stop(LongConsumer stopper) {
        lock.writeLock().lock();
        try {
            long h = handle;
            handle = 0;
            if (h != 0) {
                stopper.accept(h);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
