package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.errors.ConnectException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A growable, reusable direct buffer with the primitive writers of the batch format
 * ({@code docs/batch-format.md}): little-endian fixed-width integers, LEB128 varints, and
 * length-prefixed UTF-8 strings written without an intermediate {@code byte[]}.
 *
 * <p>The buffer doubles when it runs out of room and is never shrunk, so a task's steady state
 * allocates nothing per record.
 */
final class BatchBuffer {
    /** The largest batch a direct buffer can hold, with headroom the JDK asks for. */
    private static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;

    /** Strings up to this many chars go through {@link #scratch}. */
    static final int SCRATCH_CHARS = 16 * 1024;

    /**
     * Strings of at least this many chars (and at most {@link #SCRATCH_CHARS}) are encoded by
     * {@code String.getBytes(UTF_8)}: for text that is all ASCII the JDK copies its bytes in
     * bulk, which beats the char loop from about 60 chars on (JDK 17: 170 against 270 ns for
     * 900 chars; the loop wins below, where the array's allocation dominates).
     */
    static final int BULK_CHARS = 64;

    private ByteBuffer buf;
    /** One string's UTF-8 bytes: at most 3 per char (a surrogate pair takes 4 for 2). */
    private final byte[] scratch = new byte[3 * SCRATCH_CHARS];

    BatchBuffer(int initialCapacity) {
        buf = ByteBuffer.allocateDirect(initialCapacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The buffer; bytes {@code [0, position())} are the batch written so far. */
    ByteBuffer buffer() {
        return buf;
    }

    int position() {
        return buf.position();
    }

    void position(int position) {
        buf.position(position);
    }

    void clear() {
        buf.clear();
    }

    private void ensure(int n) {
        if (buf.remaining() >= n) {
            return;
        }
        long needed = (long) buf.position() + n;
        if (needed > MAX_CAPACITY) {
            throw new ConnectException("The batch does not fit in one buffer (" + needed
                    + " bytes); lower consumer.override.max.poll.records");
        }
        long capacity = Math.max(buf.capacity(), 1024);
        while (capacity < needed) {
            capacity *= 2;
        }
        ByteBuffer bigger = ByteBuffer.allocateDirect((int) Math.min(capacity, MAX_CAPACITY))
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
    }

    void u8(int v) {
        ensure(1);
        buf.put((byte) v);
    }

    void i16(short v) {
        ensure(2);
        buf.putShort(v);
    }

    void i32(int v) {
        ensure(4);
        buf.putInt(v);
    }

    void i64(long v) {
        ensure(8);
        buf.putLong(v);
    }

    void f32(float v) {
        ensure(4);
        buf.putFloat(v);
    }

    void f64(double v) {
        ensure(8);
        buf.putDouble(v);
    }

    void i32At(int index, int v) {
        buf.putInt(index, v);
    }

    void u8At(int index, int v) {
        buf.put(index, (byte) v);
    }

    /** An unsigned LEB128 integer (the value is treated as unsigned 64-bit). */
    void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.put((byte) v);
    }

    /** {@code varint length} followed by the bytes. */
    void bytes(byte[] b) {
        varint(b.length);
        ensure(b.length);
        buf.put(b);
    }

    /** {@code varint length} followed by the buffer's remaining bytes (its position is kept). */
    void bytes(ByteBuffer b) {
        ByteBuffer view = b.duplicate();
        varint(view.remaining());
        ensure(view.remaining());
        buf.put(view);
    }

    /**
     * {@code varint length} followed by the string's UTF-8 bytes. Unpaired surrogates become
     * {@code '?'}, as {@code String.getBytes(UTF_8)} writes them. A string shorter than
     * {@value #BULK_CHARS} chars is encoded in one pass into a heap array and copied in bulk
     * (array stores are cheaper than a direct buffer's checked puts); one of up to
     * {@value #SCRATCH_CHARS} chars by {@code getBytes}; a longer one in two passes straight
     * into the buffer, so that no array as large as it is allocated.
     */
    void string(String s) {
        int n = s.length();
        if (n > SCRATCH_CHARS) {
            stringInPlace(s);
            return;
        }
        if (n >= BULK_CHARS) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            varint(utf8.length);
            ensure(utf8.length);
            buf.put(utf8);
            return;
        }
        byte[] b = scratch;
        int j = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[j++] = (byte) c;
            } else if (c < 0x800) {
                b[j++] = (byte) (0xC0 | (c >> 6));
                b[j++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[j++] = (byte) (0xF0 | (cp >> 18));
                b[j++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                b[j++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                b[j++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                b[j++] = (byte) '?';
            } else {
                b[j++] = (byte) (0xE0 | (c >> 12));
                b[j++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[j++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        varint(j);
        ensure(j);
        buf.put(b, 0, j);
    }

    private void stringInPlace(String s) {
        int n = s.length();
        int utf8 = utf8Length(s);
        varint(utf8);
        ensure(utf8);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf.put((byte) c);
            } else if (c < 0x800) {
                buf.put((byte) (0xC0 | (c >> 6)));
                buf.put((byte) (0x80 | (c & 0x3F)));
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf.put((byte) (0xF0 | (cp >> 18)));
                buf.put((byte) (0x80 | ((cp >> 12) & 0x3F)));
                buf.put((byte) (0x80 | ((cp >> 6) & 0x3F)));
                buf.put((byte) (0x80 | (cp & 0x3F)));
            } else if (Character.isSurrogate(c)) {
                buf.put((byte) '?');
            } else {
                buf.put((byte) (0xE0 | (c >> 12)));
                buf.put((byte) (0x80 | ((c >> 6) & 0x3F)));
                buf.put((byte) (0x80 | (c & 0x3F)));
            }
        }
    }

    /** The number of bytes {@link #string} writes after the length prefix. */
    static int utf8Length(String s) {
        int n = s.length();
        int len = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                len += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 2; // 4 bytes for 2 chars
                i++;
            } else if (!Character.isSurrogate(c)) {
                len += 2;
            }
        }
        return len;
    }
}
