package com.starrocks.connector.kafka.transforms;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

/** Helpers the transforms share for deriving struct schemas. */
final class StructSchemas {
    private StructSchemas() {
    }

    /**
     * A struct builder with the source's name, version, documentation, parameters and
     * optionality, and no fields yet.
     */
    static SchemaBuilder like(Schema source) {
        SchemaBuilder builder = SchemaBuilder.struct()
                .name(source.name())
                .version(source.version())
                .doc(source.doc());
        if (source.parameters() != null && !source.parameters().isEmpty()) {
            builder.parameters(source.parameters());
        }
        if (source.isOptional()) {
            builder.optional();
        }
        return builder;
    }
}
