package com.starrocks.connector.kafka.internal;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeRepliesTest {
    private static Bytes u32String(Bytes b, String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        b.i32(utf8.length);
        for (byte x : utf8) {
            b.u8(x & 0xFF);
        }
        return b;
    }

    @Test
    void decodesDurableOffsetsPerOriginalTopicPartition() {
        Bytes reply = new Bytes().i32(2)
                .i16(4).u8('t', 'e', 's', 't').i32(0).i64(3)
                .i16(3).u8('d', 'b', 'z').i32(7).i64(1L << 40);

        Map<TopicPartition, OffsetAndMetadata> offsets = NativeReplies.offsets(reply.toArray());

        Map<TopicPartition, OffsetAndMetadata> expected = new HashMap<>();
        expected.put(new TopicPartition("test", 0), new OffsetAndMetadata(3));
        expected.put(new TopicPartition("dbz", 7), new OffsetAndMetadata(1L << 40));
        assertEquals(expected, offsets);
        assertTrue(NativeReplies.offsets(null).isEmpty());
        assertTrue(NativeReplies.offsets(new Bytes().i32(0).toArray()).isEmpty());
    }

    @Test
    void decodesAPutReply() {
        Bytes reply = u32String(new Bytes().i32(2).i32(0), "column 'id' is NOT NULL");
        u32String(reply.i32(5), "Zürich");
        reply.i32(1).i16(1).u8('a').i32(3)   // pause a-3
                .i32(2).i16(1).u8('b').i32(0).i16(1).u8('b').i32(1)   // resume b-0, b-1
                .i32(500)
                .i32(1).i16(1).u8('r').i32(2).i64(7)   // rewind r-2 to offset 7
                .u8(1)   // commit now
                .i32(2);   // answers two batches

        NativeReplies.PutReply put = NativeReplies.put(reply.toArray());

        List<NativeReplies.Rejection> rejections = put.rejections;
        assertEquals(2, rejections.size());
        assertEquals(0, rejections.get(0).index);
        assertEquals("column 'id' is NOT NULL", rejections.get(0).message);
        assertEquals(5, rejections.get(1).index);
        assertEquals("Zürich", rejections.get(1).message);
        assertEquals(java.util.Collections.singletonList(new TopicPartition("a", 3)), put.pause);
        assertEquals(java.util.Arrays.asList(new TopicPartition("b", 0), new TopicPartition("b", 1)),
                put.resume);
        assertEquals(500, put.callAgainMillis);
        assertEquals(java.util.Collections.singletonMap(new TopicPartition("r", 2), 7L), put.rewind);
        assertTrue(put.commit);
        assertEquals(2, put.batches);
        assertFalse(NativeReplies.put(null).commit);
        assertTrue(NativeReplies.put(null).rejections.isEmpty());
        assertTrue(NativeReplies.put(null).rewind.isEmpty());
        assertEquals(0, NativeReplies.put(null).callAgainMillis);
    }

    @Test
    void decodesPartitions() {
        byte[] reply = new Bytes().i32(1).i16(2).u8('x', 'y').i32(9).toArray();
        assertEquals(java.util.Collections.singletonList(new TopicPartition("xy", 9)),
                NativeReplies.partitions(reply));
        assertTrue(NativeReplies.partitions(null).isEmpty());
    }

    @Test
    void decodesLogEvents() {
        Bytes reply = new Bytes().i32(1).u8(2);
        u32String(u32String(u32String(reply, "sr"), "1"), "load failed, retrying");

        List<NativeReplies.LogEvent> events = NativeReplies.logEvents(reply.toArray());

        assertEquals(1, events.size());
        assertEquals(2, events.get(0).level);
        assertEquals("sr", events.get(0).connector);
        assertEquals("1", events.get(0).task);
        assertEquals("load failed, retrying", events.get(0).message);
    }

    @Test
    void refusesTruncatedOrPaddedReplies() {
        byte[] truncated = new Bytes().i32(1).i16(4).u8('t', 'e').toArray();
        byte[] padded = new Bytes().i32(0).u8(9).toArray();
        byte[] hugeCount = new Bytes().i32(-1).toArray();
        ConnectException e = assertThrows(ConnectException.class, () -> NativeReplies.offsets(truncated));
        assertTrue(e.getMessage().contains("malformed offsets"), e.getMessage());
        assertThrows(ConnectException.class, () -> NativeReplies.offsets(padded));
        assertThrows(ConnectException.class, () -> NativeReplies.put(hugeCount));
        byte[] noCallBack = new Bytes().i32(0).i32(0).i32(0).toArray();
        assertThrows(ConnectException.class, () -> NativeReplies.put(noCallBack));
        assertThrows(ConnectException.class,
                () -> NativeReplies.logEvents(new Bytes().i32(1).u8(1).i32(100).toArray()));
    }
}
