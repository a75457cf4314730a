package com.starrocks.connector.kafka.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Builds expected bytes by hand, independently of the encoder, and prints bytes as hex. */
final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes u8(int... values) {
        for (int v : values) {
            out.write(v);
        }
        return this;
    }

    Bytes i16(int v) {
        return u8(v & 0xFF, (v >>> 8) & 0xFF);
    }

    Bytes i32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xFF);
        }
        return this;
    }

    Bytes i64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) ((v >>> (8 * i)) & 0xFF));
        }
        return this;
    }

    Bytes varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return this;
    }

    Bytes string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    Bytes bytes(byte[] b) {
        varint(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    /** The bytes built so far by {@code other}, as they are. */
    Bytes raw(Bytes other) {
        byte[] b = other.toArray();
        out.write(b, 0, b.length);
        return this;
    }

    /** A batch header. */
    Bytes header(boolean reset, int count) {
        return u8('S', 'R', 'K', 'B', 1, reset ? 1 : 0).i16(0).i32(count);
    }

    byte[] toArray() {
        return out.toByteArray();
    }

    String hex() {
        return hex(toArray());
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b & 0xFF));
        }
        return s.toString();
    }

    /** The bytes {@code [0, position)} a buffer has written. */
    static byte[] written(BatchBuffer buffer) {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** The batch an encoder has just written, {@code length} bytes long. */
    static byte[] written(BatchEncoder encoder, int length) {
        return Arrays.copyOf(encoder.array(), length);
    }
}
