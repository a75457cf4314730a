package com.starrocks.connector.kafka.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Dense ids (0, 1, 2, ...) for the topics or schemas of a batch session, in definition order.
 *
 * <p>An id is assigned the first time a key is met; {@link #rollback(int)} forgets ids assigned
 * after a mark, so a record that fails to encode leaves no definition behind that the core never
 * received.
 *
 * @param <K> the key type: a topic name, or a {@code Schema} (with an identity map)
 */
final class SessionIds<K> {
    private final Map<K, Integer> ids;
    private final List<K> keys = new ArrayList<>();
    /** The key last looked up, by identity, and its id: records of a run share their topic. */
    private K lastKey;
    private int lastId = -1;

    SessionIds(Map<K, Integer> emptyMap) {
        this.ids = emptyMap;
    }

    /** The key's id, or -1 when it has none yet. */
    int find(K key) {
        Integer id = ids.get(key);
        return id == null ? -1 : id;
    }

    /** The key's id, assigning the next one when it has none. */
    int idOf(K key) {
        if (key == lastKey && lastId >= 0) {
            return lastId;
        }
        Integer id = ids.get(key);
        int found;
        if (id != null) {
            found = id;
        } else {
            found = keys.size();
            ids.put(key, found);
            keys.add(key);
        }
        lastKey = key;
        lastId = found;
        return found;
    }

    /** How many ids exist; also the next id to be assigned. */
    int size() {
        return keys.size();
    }

    K key(int id) {
        return keys.get(id);
    }

    /** Forgets every id at or above {@code mark}. */
    void rollback(int mark) {
        for (int id = keys.size() - 1; id >= mark; id--) {
            ids.remove(keys.remove(id));
        }
        if (lastId >= mark) {
            forgetLast();
        }
    }

    void clear() {
        ids.clear();
        keys.clear();
        forgetLast();
    }

    private void forgetLast() {
        lastKey = null;
        lastId = -1;
    }
}
