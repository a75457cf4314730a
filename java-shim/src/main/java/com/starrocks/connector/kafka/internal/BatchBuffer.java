package com.starrocks.connector.kafka.internal;

import org.apache.kafka.connect.errors.ConnectException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable, reusable buffer with the primitive writers of the batch format
 * ({@code docs/batch-format.md}): little-endian fixed-width integers, LEB128 varints, and
 * length-prefixed UTF-8 strings.
 *
 * <p>The batch is written into a heap array, whose stores the JIT compiles to plain moves (a
 * direct buffer's checks cost a third of the encoding of small records); the core copies it
 * from there once, into its own buffer. The array doubles when it runs out of room and is
 * never shrunk, so a task's steady state allocates nothing per record but the arrays of long
 * strings.
 */
final class BatchBuffer {
    /** The largest batch an array can hold, with headroom the JDK asks for. */
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

    private byte[] buf;
    private int pos;
    /** One string's UTF-8 bytes: at most 3 per char (a surrogate pair takes 4 for 2). */
    private final byte[] scratch = new byte[3 * SCRATCH_CHARS];

    BatchBuffer(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    /**
     * The array the batch is written into: bytes {@code [0, position())} are the batch so far.
     * It is reused, and replaced when it grows.
     */
    byte[] array() {
        return buf;
    }

    /** The byte at {@code index}, already written. */
    byte byteAt(int index) {
        return buf[index];
    }

    int position() {
        return pos;
    }

    void position(int position) {
        pos = position;
    }

    void clear() {
        pos = 0;
    }

    private void ensure(int n) {
        if (buf.length - pos >= n) {
            return;
        }
        long needed = (long) pos + n;
        if (needed > MAX_CAPACITY) {
            throw new ConnectException("The batch does not fit in one buffer (" + needed
                    + " bytes); lower consumer.override.max.poll.records");
        }
        long capacity = Math.max(buf.length, 1024);
        while (capacity < needed) {
            capacity *= 2;
        }
        buf = Arrays.copyOf(buf, (int) Math.min(capacity, MAX_CAPACITY));
    }

    void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    void i16(short v) {
        ensure(2);
        buf[pos] = (byte) v;
        buf[pos + 1] = (byte) (v >> 8);
        pos += 2;
    }

    void i32(int v) {
        ensure(4);
        putInt(pos, v);
        pos += 4;
    }

    void i64(long v) {
        ensure(8);
        putInt(pos, (int) v);
        putInt(pos + 4, (int) (v >>> 32));
        pos += 8;
    }

    /** The float's bits as they are (NaN payloads too), as {@code ByteBuffer.putFloat}. */
    void f32(float v) {
        i32(Float.floatToRawIntBits(v));
    }

    /** The double's bits as they are (NaN payloads too), as {@code ByteBuffer.putDouble}. */
    void f64(double v) {
        i64(Double.doubleToRawLongBits(v));
    }

    void i32At(int index, int v) {
        putInt(index, v);
    }

    void u8At(int index, int v) {
        buf[index] = (byte) v;
    }

    private void putInt(int at, int v) {
        buf[at] = (byte) v;
        buf[at + 1] = (byte) (v >> 8);
        buf[at + 2] = (byte) (v >> 16);
        buf[at + 3] = (byte) (v >> 24);
    }

    /** An unsigned LEB128 integer (the value is treated as unsigned 64-bit). */
    void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    /** {@code varint length} followed by the bytes. */
    void bytes(byte[] b) {
        varint(b.length);
        put(b, b.length);
    }

    /** {@code varint length} followed by the buffer's remaining bytes (its position is kept). */
    void bytes(ByteBuffer b) {
        ByteBuffer view = b.duplicate();
        int n = view.remaining();
        varint(n);
        ensure(n);
        view.get(buf, pos, n);
        pos += n;
    }

    /** The first {@code n} bytes of {@code b}, as they are. */
    void put(byte[] b, int n) {
        ensure(n);
        System.arraycopy(b, 0, buf, pos, n);
        pos += n;
    }

    /**
     * {@code varint length} followed by the string's UTF-8 bytes. Unpaired surrogates become
     * {@code '?'}, as {@code String.getBytes(UTF_8)} writes them. A string shorter than
     * {@value #BULK_CHARS} chars is encoded in one pass into a scratch array and copied in bulk
     * behind its length; one of up to
     * {@value #SCRATCH_CHARS} chars by {@code getBytes}; a longer one in two passes (its length,
     * then its bytes) straight into the batch, so that no array as large as it is allocated.
     */
    void string(String s) {
        int n = s.length();
        if (n > SCRATCH_CHARS) {
            stringInPlace(s);
            return;
        }
        if (n >= BULK_CHARS) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
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
        put(b, j);
    }

    private void stringInPlace(String s) {
        int n = s.length();
        int utf8 = utf8Length(s);
        varint(utf8);
        ensure(utf8);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[pos++] = (byte) c;
            } else if (c < 0x800) {
                buf[pos++] = (byte) (0xC0 | (c >> 6));
                buf[pos++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf[pos++] = (byte) (0xF0 | (cp >> 18));
                buf[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                buf[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                buf[pos++] = (byte) (0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                buf[pos++] = (byte) '?';
            } else {
                buf[pos++] = (byte) (0xE0 | (c >> 12));
                buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[pos++] = (byte) (0x80 | (c & 0x3F));
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
