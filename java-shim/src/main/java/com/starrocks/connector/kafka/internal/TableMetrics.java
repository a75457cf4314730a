package com.starrocks.connector.kafka.internal;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanException;
import javax.management.MBeanInfo;
import javax.management.MBeanRegistration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The read-only MBean of one table of one task: an attribute per counter of the core, holding
 * the last value published. Readers (JMX threads) see an immutable snapshot.
 */
final class TableMetrics implements DynamicMBean, MBeanRegistration {
    private volatile Map<String, Object> values = Collections.emptyMap();
    /** Registered under its name now: not yet, or replaced by a later run of the same task. */
    private volatile boolean registered;

    boolean isRegistered() {
        return registered;
    }

    @Override
    public ObjectName preRegister(MBeanServer server, ObjectName name) {
        return name;
    }

    @Override
    public void postRegister(Boolean done) {
        registered = Boolean.TRUE.equals(done);
    }

    @Override
    public void preDeregister() {
    }

    @Override
    public void postDeregister() {
        registered = false;
    }

    /** Replaces the counters present in {@code latest}; others keep their last value. */
    void merge(Map<String, Object> latest) {
        Map<String, Object> next = new LinkedHashMap<>(values);
        next.putAll(latest);
        values = Collections.unmodifiableMap(next);
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        Map<String, Object> snapshot = values;
        if (!snapshot.containsKey(attribute)) {
            throw new AttributeNotFoundException(attribute);
        }
        return snapshot.get(attribute);
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
        throw new AttributeNotFoundException(attribute.getName() + " is read-only");
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        Map<String, Object> snapshot = values;
        AttributeList list = new AttributeList();
        for (String name : attributes) {
            if (snapshot.containsKey(name)) {
                list.add(new Attribute(name, snapshot.get(name)));
            }
        }
        return list;
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature)
            throws MBeanException, ReflectionException {
        throw new ReflectionException(new NoSuchMethodException(actionName));
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        Map<String, Object> snapshot = values;
        MBeanAttributeInfo[] attributes = new MBeanAttributeInfo[snapshot.size()];
        int i = 0;
        for (Map.Entry<String, Object> e : snapshot.entrySet()) {
            attributes[i++] = new MBeanAttributeInfo(e.getKey(), e.getValue().getClass().getName(),
                    "Counter " + e.getKey() + " of the StarRocks sink core", true, false, false);
        }
        return new MBeanInfo(TableMetrics.class.getName(),
                "StarRocks sink metrics of one table of one task", attributes, null, null, null);
    }
}
