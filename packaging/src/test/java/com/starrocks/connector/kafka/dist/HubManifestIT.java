package com.starrocks.connector.kafka.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifest.json inside the Confluent Hub ZIP this build wrote to dist/, against the fields
 * Confluent documents for a component archive's manifest.
 *
 * <p>The field list comes from Confluent's "Confluent Hub Component Archive Specification"
 * (https://docs.confluent.io/platform/current/connect/confluent-hub/component-archive.html,
 * section "Component Manifest"), as written by Confluent's own kafka-connect-maven-plugin 0.12.0
 * (goal kafka-connect, https://docs.confluent.io/platform/current/connect/kafka-connect-maven-plugin/site/kafka-connect-mojo.html),
 * whose parameters map one to one onto the manifest's fields: name, version, title,
 * description, owner (username, type, name, url, logo), support (provider_name, summary, url,
 * logo), tags, requirements, features (supported_encodings, single_message_transforms,
 * confluent_control_center_integration, kafka_connect_api, delivery_guarantee), logo,
 * documentation_url, source_url, docker_image (namespace, name, tag, registry), license (name,
 * url, logo), component_types, release_date.
 *
 * <p>Every one of them is required here, non-empty and of its type, except the few the
 * specification makes optional and this project cannot fill truthfully (OPTIONAL_NOT_CARRIED
 * below); those are checked for their form if they ever appear.
 */
class HubManifestIT {

    /** Top-level fields every manifest of this connector carries. */
    static final List<String> REQUIRED = Arrays.asList(
            "name", "version", "title", "description", "owner", "support", "tags", "requirements",
            "features", "documentation_url", "license", "component_types", "release_date");
    static final List<String> OWNER = Arrays.asList("username", "type", "name", "url");
    static final List<String> SUPPORT = Arrays.asList("provider_name", "summary", "url");
    static final List<String> LICENSE = Arrays.asList("name", "url");
    /** features: the four booleans and the two lists Confluent documents. */
    static final List<String> FEATURE_FLAGS = Arrays.asList(
            "single_message_transforms", "confluent_control_center_integration", "kafka_connect_api");
    static final List<String> FEATURE_LISTS = Arrays.asList("supported_encodings", "delivery_guarantee");
    static final List<String> COMPONENT_TYPES = Arrays.asList("sink", "source", "transform", "converter");
    static final List<String> DELIVERY_GUARANTEES = Arrays.asList("at_least_once", "exactly_once");

    /**
     * Documented, optional, and not carried: logo, owner.logo, support.logo and license[].logo
     * (image files under assets/; the project has no logo it may ship), docker_image (no container
     * image carries this connector) and source_url (the project records no public repository URL
     * yet: no scm in the POM, no git remote). Checked for their form if present.
     */
    static final List<String> OPTIONAL_NOT_CARRIED = Arrays.asList("logo", "docker_image", "source_url");

    static JsonNode manifest;
    static Path zipPath;
    static String component;
    static String version;
    static boolean development;

    @BeforeAll
    static void readManifestFromTheZip() throws IOException {
        zipPath = Paths.get(property("hub.zip"));
        component = property("hub.component");
        version = property("project.version");
        development = property("dist.kind").equals("host-only-dev");
        assertTrue(Files.isRegularFile(zipPath), "no Confluent Hub ZIP at " + zipPath);
        try (ZipFile zip = new ZipFile(zipPath.toFile())) {
            ZipEntry entry = zip.getEntry(component + "/manifest.json");
            assertNotNull(entry, zipPath + " has no " + component + "/manifest.json");
            try (InputStream in = zip.getInputStream(entry)) {
                manifest = new ObjectMapper().readTree(in);
            }
        }
    }

    @Test
    void carries_every_documented_field_non_empty_and_of_its_type() {
        List<String> problems = new ArrayList<>();
        assertTrue(manifest.isObject(), "manifest.json is not a JSON object");
        for (String field : REQUIRED) {
            if (!manifest.has(field)) {
                problems.add("no " + field);
            }
        }
        for (String field : Arrays.asList("name", "version", "title", "description", "documentation_url", "release_date")) {
            requireText(problems, manifest, field);
        }
        requireUrl(problems, manifest, "documentation_url");

        JsonNode owner = requireObject(problems, manifest, "owner");
        for (String field : OWNER) {
            requireText(problems, owner, field);
        }
        requireUrl(problems, owner, "url");
        JsonNode support = requireObject(problems, manifest, "support");
        for (String field : SUPPORT) {
            requireText(problems, support, field);
        }
        requireUrl(problems, support, "url");

        requireTextList(problems, manifest, "tags");
        requireTextList(problems, manifest, "requirements");
        requireTextList(problems, manifest, "component_types");

        JsonNode features = requireObject(problems, manifest, "features");
        for (String flag : FEATURE_FLAGS) {
            if (!features.path(flag).isBoolean()) {
                problems.add("features." + flag + " is not a boolean: " + features.get(flag));
            }
        }
        for (String list : FEATURE_LISTS) {
            requireTextList(problems, features, list);
        }

        JsonNode licenses = manifest.path("license");
        if (!licenses.isArray() || licenses.size() == 0) {
            problems.add("license is not a non-empty array: " + licenses);
        } else {
            for (JsonNode license : licenses) {
                for (String field : LICENSE) {
                    requireText(problems, license, field);
                }
                requireUrl(problems, license, "url");
            }
        }
        if (!problems.isEmpty()) {
            fail("manifest.json in " + zipPath + ":\n  " + String.join("\n  ", problems) + "\n" + manifest.toPrettyString());
        }
    }

    @Test
    void names_this_component_and_version_as_the_zip_does() {
        assertEquals(version, manifest.path("version").asText(), "manifest version vs. the project's");
        assertEquals("starrocks-kafka-connector", manifest.path("name").asText());
        String owner = manifest.path("owner").path("username").asText();
        assertTrue(owner.matches("[a-z0-9_]{2,255}"),
                "owner.username must be 2-255 lowercase letters, digits or underscores: " + owner);
        String archive = owner + "-" + manifest.path("name").asText() + "-" + version;
        assertTrue(component.equals(archive) || component.equals(archive + "-host-only-dev"),
                "the ZIP is " + component + ", the manifest says " + archive);
        assertTrue(manifest.path("release_date").asText().matches("\\d{4}-\\d{2}-\\d{2}"),
                "release_date is not YYYY-MM-DD: " + manifest.path("release_date"));
        assertTrue(Arrays.asList("organization", "user").contains(manifest.path("owner").path("type").asText()),
                "owner.type is organization or user: " + manifest.path("owner").path("type"));
    }

    @Test
    void describes_a_sink_with_both_delivery_guarantees() {
        assertEquals(Arrays.asList("sink"), texts(manifest.path("component_types")));
        for (String type : texts(manifest.path("component_types"))) {
            assertTrue(COMPONENT_TYPES.contains(type), "unknown component type " + type);
        }
        JsonNode features = manifest.path("features");
        assertEquals(Arrays.asList("at_least_once", "exactly_once"),
                texts(features.path("delivery_guarantee")),
                "at-least-once by default, exactly-once with sink.semantic=exactly-once");
        for (String guarantee : texts(features.path("delivery_guarantee"))) {
            assertTrue(DELIVERY_GUARANTEES.contains(guarantee), "unknown delivery guarantee " + guarantee);
        }
        assertEquals(Arrays.asList("any"), texts(features.path("supported_encodings")));
        assertTrue(features.path("kafka_connect_api").asBoolean());
        assertTrue(features.path("single_message_transforms").asBoolean());
        assertEquals("Apache License 2.0", manifest.path("license").path(0).path("name").asText());
    }

    @Test
    void optional_fields_when_present_are_well_formed() throws IOException {
        List<String> problems = new ArrayList<>();
        try (ZipFile zip = new ZipFile(zipPath.toFile())) {
            requireLogoInZip(problems, zip, manifest, "logo");
            requireLogoInZip(problems, zip, manifest.path("owner"), "owner.logo");
            requireLogoInZip(problems, zip, manifest.path("support"), "support.logo");
            for (JsonNode license : manifest.path("license")) {
                requireLogoInZip(problems, zip, license, "license[].logo");
            }
        }
        if (manifest.has("source_url")) {
            requireUrl(problems, manifest, "source_url");
        }
        if (manifest.has("docker_image")) {
            JsonNode image = requireObject(problems, manifest, "docker_image");
            for (String field : Arrays.asList("namespace", "name", "tag")) {
                requireText(problems, image, field);
            }
        }
        for (Iterator<String> names = manifest.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!REQUIRED.contains(field) && !OPTIONAL_NOT_CARRIED.contains(field)) {
                problems.add("a field Confluent does not document: " + field);
            }
        }
        if (!problems.isEmpty()) {
            fail("manifest.json in " + zipPath + ":\n  " + String.join("\n  ", problems));
        }
    }

    @Test
    void says_whether_it_is_a_development_build() {
        String title = manifest.path("title").asText();
        String description = manifest.path("description").asText();
        if (development) {
            assertTrue(title.contains("development build"), "a host-only build's title must say so: " + title);
            assertTrue(description.startsWith("DEVELOPMENT BUILD, NOT A RELEASE"),
                    "a host-only build's description must open with it: " + description);
            assertTrue(component.endsWith("-host-only-dev"), "a host-only build's ZIP is named *-host-only-dev: " + component);
        } else {
            assertFalse(title.toLowerCase().contains("development"), "a release's title: " + title);
            assertFalse(description.contains("DEVELOPMENT BUILD"), "a release's description: " + description);
            assertFalse(component.endsWith("-host-only-dev"), "a release's ZIP: " + component);
            assertTrue(texts(manifest.path("requirements")).contains(
                            "Linux on x86_64 or aarch64, with glibc 2.17 or later, or musl"),
                    "a release names its four platforms: " + manifest.path("requirements"));
        }
    }

    // ---------------------------------------------------------------------------------------

    static String property(String name) {
        String value = System.getProperty(name);
        assertNotNull(value, "system property " + name + " (set by packaging/pom.xml's failsafe configuration)");
        return value;
    }

    static void requireText(List<String> problems, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().trim().isEmpty()) {
            problems.add(field + " is not a non-empty string: " + value);
        } else if (value.asText().contains("${")) {
            problems.add(field + " has an unfiltered Maven property: " + value.asText());
        }
    }

    static void requireUrl(List<String> problems, JsonNode node, String field) {
        String value = node.path(field).asText();
        if (!value.matches("https?://[^\\s]+")) {
            problems.add(field + " is not an http(s) URL: " + value);
        }
    }

    static JsonNode requireObject(List<String> problems, JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isObject() || value.size() == 0) {
            problems.add(field + " is not a non-empty object: " + value);
        }
        return value;
    }

    static void requireTextList(List<String> problems, JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (!value.isArray() || value.size() == 0) {
            problems.add(field + " is not a non-empty array: " + value);
            return;
        }
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().trim().isEmpty() || item.asText().contains("${")) {
                problems.add(field + " has an item that is not a non-empty string: " + item);
            }
        }
    }

    static void requireLogoInZip(List<String> problems, ZipFile zip, JsonNode node, String label) {
        JsonNode logo = node.get("logo");
        if (logo == null) {
            return;
        }
        if (!logo.isTextual() || zip.getEntry(component + "/" + logo.asText()) == null) {
            problems.add(label + " names no file in the ZIP: " + logo);
        }
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode item : array) {
            out.add(item.asText());
        }
        return out;
    }
}
