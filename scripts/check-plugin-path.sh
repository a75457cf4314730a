#!/usr/bin/env bash
# Checks the plugin archives in dist/ the way Kafka Connect sees them: unpacks them and runs
# Kafka's own `connect-plugin-path list` (org.apache.kafka.tools.ConnectPluginPath, from
# org.apache.kafka:kafka-tools) over the three ways they get installed:
#
#   1. the tarball's directory as a plugin.path entry (StarRocks' install steps: its jar is a
#      plugin location of its own);
#   2. the tarball's directory as one plugin location (placed inside a plugin.path directory);
#   3. the Confluent Hub ZIP's directory as one plugin location (what `confluent-hub install`
#      leaves, with the jar under lib/).
#
# Each must list the connector and both transforms as loadable AND with a ServiceLoader manifest
# (what a worker with plugin.discovery=service_load or hybrid_fail requires), the connector with
# the archive's version. Also checked: the archives' layout, that the jar carries the native
# library of every platform and no Kafka or slf4j classes, THIRD-PARTY.txt, and the ZIP's
# manifest.json.
#
#   scripts/check-plugin-path.sh [DIST_DIR]     (default: dist/, from `mvn -B -DskipTests package`)
#
# Both kinds of build are understood: a release's archives (starrocks-kafka-connector-<version>.tar.gz,
# starrocks-starrocks-kafka-connector-<version>.zip; all four native libraries) and a
# -Dnative.targets=host development build's (the same names ending in -host-only-dev; the build
# host's library alone, and a manifest that says so).
#
# kafka-tools and its runtime dependencies come from Maven Central once, into
# ~/.cache/starrocks-kafka-connector/kafka-tools-<version>/ (CHECK_KAFKA_VERSION, default 3.9.1).
# CHECK_NATIVE_PLATFORMS overrides the platforms the jar must carry (default: all four for a
# release, the build host's for a -host-only-dev build).
set -euo pipefail
cd "$(dirname "$0")/.."

dist=${1:-dist}
kafka_version=${CHECK_KAFKA_VERSION:-3.9.1}
expected_classes=(
  "com.starrocks.connector.kafka.StarRocksSinkConnector sink"
  "com.starrocks.connector.kafka.transforms.AddOpFieldForDebeziumRecord transformation"
  "com.starrocks.connector.kafka.transforms.TimeMillisToStringTransform transformation"
)

passed=0
failed=0
ok() {
  echo "  ok: $*"
  passed=$((passed + 1))
}
bad() {
  echo "  FAILED: $*" >&2
  failed=$((failed + 1))
}
die() {
  echo "check-plugin-path: $*" >&2
  exit 1
}

shopt -s nullglob
tarballs=("$dist"/starrocks-kafka-connector-*.tar.gz)
zips=("$dist"/starrocks-starrocks-kafka-connector-*.zip)
shopt -u nullglob
[ ${#tarballs[@]} -eq 1 ] ||
  die "expected one $dist/starrocks-kafka-connector-*.tar.gz, found ${#tarballs[@]}: run 'mvn -B -DskipTests package' first"
[ ${#zips[@]} -eq 1 ] ||
  die "expected one $dist/starrocks-starrocks-kafka-connector-*.zip, found ${#zips[@]}: run 'mvn -B -DskipTests package' first"
tarball=${tarballs[0]}
zip=${zips[0]}
name=$(basename "$tarball" .tar.gz)
dev_suffix=-host-only-dev
if [[ $name == *"$dev_suffix" ]]; then
  kind=host-only-dev
  suffix=$dev_suffix
else
  kind=release
  suffix=""
fi
version=${name%"$suffix"}
version=${version#starrocks-kafka-connector-}
hub_name=$(basename "$zip" .zip)
[ "$hub_name" = "starrocks-starrocks-kafka-connector-$version$suffix" ] ||
  die "the ZIP $zip is not the $kind build of version $version that $tarball is"

# The build host's platform, as native/build-native.sh names it (a host-only build carries it).
host_platform() {
  local arch
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) arch=$(uname -m) ;;
  esac
  if ls /lib/ld-musl-* >/dev/null 2>&1; then echo "linux-$arch-musl"; else echo "linux-$arch"; fi
}
if [ "$kind" = release ]; then
  native_platforms=${CHECK_NATIVE_PLATFORMS:-linux-x86_64 linux-aarch64 linux-x86_64-musl linux-aarch64-musl}
else
  native_platforms=${CHECK_NATIVE_PLATFORMS:-$(host_platform)}
fi
echo "check-plugin-path: $kind build of $version, native libraries expected: $native_platforms"

# --- Kafka's tool, from Maven Central ------------------------------------------------------
cache=${XDG_CACHE_HOME:-$HOME/.cache}/starrocks-kafka-connector/kafka-tools-$kafka_version
if [ ! -f "$cache/.complete" ]; then
  echo "check-plugin-path: resolving org.apache.kafka:kafka-tools:$kafka_version into $cache"
  rm -rf "$cache"
  mkdir -p "$cache"
  cat >"$cache/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.check</groupId>
  <artifactId>connect-plugin-path</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$kafka_version</version>
    </dependency>
  </dependencies>
</project>
EOF
  if ! mvn -B -ntp -f "$cache/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$cache/libs" >"$cache/mvn.log" 2>&1; then
    tail -30 "$cache/mvn.log" >&2
    die "could not resolve kafka-tools $kafka_version (log: $cache/mvn.log)"
  fi
  cat >"$cache/log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%p] %c: %m%n
EOF
  touch "$cache/.complete"
fi

connect_plugin_path() {
  java -Dlog4j.configuration="file:$cache/log4j.properties" -cp "$cache/libs/*" \
    org.apache.kafka.tools.ConnectPluginPath "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- The tarball ------------------------------------------------------------------------------
echo "check-plugin-path: $tarball"
mkdir -p "$work/tar"
tar -xzf "$tarball" -C "$work/tar"
top=$(ls -A "$work/tar")
if [ "$top" = "$name" ]; then ok "one top directory $name/"; else bad "top entries of the tarball: $top"; fi
home=$work/tar/$name
jar=$home/starrocks-kafka-connector-$version.jar
jars=$(cd "$home" && find . -name '*.jar' | sort | tr '\n' ' ')
if [ "$jars" = "./starrocks-kafka-connector-$version.jar " ]; then
  ok "one jar, directly in the directory (plugin.path and CLASSPATH=<dir>/* both see it)"
else
  bad "jars in the tarball: $jars"
fi
# require_files LABEL DIR FILE...: each file exists and is not empty.
require_files() {
  local label=$1 dir=$2 f absent=""
  shift 2
  for f in "$@"; do [ -s "$dir/$f" ] || absent+=" $f"; done
  if [ -z "$absent" ]; then ok "$label has $*"; else bad "$label lacks$absent"; fi
}
require_files "the tarball" "$home" README.md LICENSE THIRD-PARTY.txt etc/connect-starrocks-sink.properties \
  etc/connect-starrocks-sink.json doc/configuration.md

if [ -f "$jar" ]; then
  listing=$(unzip -Z1 "$jar")
  missing=""
  for platform in $native_platforms; do
    grep -qx "native/$platform/libstarrocks_kafka_jni.so" <<<"$listing" || missing+=" $platform"
  done
  carried=$(grep -o '^native/[^/]*/libstarrocks_kafka_jni.so$' <<<"$listing" | cut -d/ -f2 | tr '\n' ' ')
  if [ -z "$missing" ]; then ok "native libraries in the jar: $carried"; else bad "the jar lacks the native library of:$missing (it has: $carried)"; fi
  if [ "$kind" = host-only-dev ] && [ "$(wc -w <<<"$carried")" -ne 1 ]; then
    bad "a host-only build's jar carries one native library, this one: $carried"
  fi
  if grep -qE '^(org/apache/kafka|org/slf4j)/' <<<"$listing"; then
    bad "the jar bundles Kafka or slf4j classes"
  else
    ok "no Kafka or slf4j classes in the jar"
  fi
fi

# --- The Confluent Hub ZIP --------------------------------------------------------------------
echo "check-plugin-path: $zip"
mkdir -p "$work/zip"
unzip -q "$zip" -d "$work/zip"
top=$(ls -A "$work/zip")
if [ "$top" = "$hub_name" ]; then ok "one top directory $hub_name/"; else bad "top entries of the ZIP: $top"; fi
component=$work/zip/$hub_name
zip_jars=$(cd "$component" && find . -name '*.jar' | sort | tr '\n' ' ')
if [ "$zip_jars" = "./lib/starrocks-kafka-connector-$version.jar " ]; then ok "lib/ holds the one jar"; else bad "jars in the ZIP: $zip_jars"; fi
if [ -f "$component/lib/starrocks-kafka-connector-$version.jar" ] && [ -f "$jar" ] &&
  cmp -s "$jar" "$component/lib/starrocks-kafka-connector-$version.jar"; then
  ok "the same jar as the tarball's"
else
  bad "the ZIP's jar differs from the tarball's"
fi
manifest=$component/manifest.json
if [ ! -f "$manifest" ]; then
  bad "the ZIP has no manifest.json"
elif ! command -v jq >/dev/null 2>&1; then
  bad "jq is needed to read manifest.json (scripts/setup.sh installs it)"
elif jq -e --arg v "$version" --arg kind "$kind" '
    .name == "starrocks-kafka-connector" and .version == $v and .owner.username == "starrocks"
    and (.title | length > 0) and (.description | length > 0)
    and .component_types == ["sink"] and .features.kafka_connect_api == true
    and .features.delivery_guarantee == ["at_least_once", "exactly_once"]
    and (.license | length > 0) and (.release_date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
    and (if $kind == "release" then (.title | test("development") | not)
         else (.title | test("development build")) and (.description | startswith("DEVELOPMENT BUILD")) end)' \
  "$manifest" >/dev/null; then
  ok "manifest.json: name, version $version, owner starrocks, component_types [sink], $kind build"
else
  bad "manifest.json lacks a required field or has a wrong value for a $kind build: $(jq -c . "$manifest" 2>&1 | head -c 600)"
fi
if [ -s "$component/doc/THIRD-PARTY.txt" ] && grep -q '^RUST CRATES COMPILED INTO THE NATIVE LIBRARY' "$component/doc/THIRD-PARTY.txt" &&
  grep -q '^JAVA LIBRARIES IN THE CONNECTOR JAR' "$component/doc/THIRD-PARTY.txt" &&
  cmp -s "$component/doc/THIRD-PARTY.txt" "$home/THIRD-PARTY.txt"; then
  ok "THIRD-PARTY.txt (Rust crates and Java libraries), the same in both archives"
else
  bad "THIRD-PARTY.txt is missing, lacks its Rust or Java section, or differs between the archives"
fi
require_files "the ZIP" "$component" doc/README.md doc/LICENSE doc/configuration.md \
  etc/connect-starrocks-sink.properties etc/connect-starrocks-sink.json

# --- connect-plugin-path list -----------------------------------------------------------------
# check_listing LABEL EXPECTED_LOCATION ARGS...: runs the tool, checks the three plugins' rows.
check_listing() {
  local label=$1 location=$2 out
  shift 2
  echo "check-plugin-path: connect-plugin-path list $* ($label)"
  if ! out=$(connect_plugin_path list "$@" 2>"$work/stderr"); then
    bad "$label: connect-plugin-path failed: $(tail -5 "$work/stderr")"
    return
  fi
  local entry class type row
  for entry in "${expected_classes[@]}"; do
    read -r class type <<<"$entry"
    # Columns: pluginName firstAlias secondAlias pluginVersion pluginType isLoadable hasManifest pluginLocation
    row=$(awk -F'\t' -v c="$class" -v t="$type" -v l="$location" '$1 == c && $5 == t && $8 == l' <<<"$out")
    if [ -z "$row" ]; then
      bad "$label: $class ($type) is not listed from $location; the tool listed:"$'\n'"$(grep -i starrocks <<<"$out" || echo '(no StarRocks plugin)')"
    elif [ "$(cut -f6 <<<"$row")" != true ]; then
      bad "$label: $class is not loadable: $row"
    elif [ "$(cut -f7 <<<"$row")" != true ]; then
      bad "$label: $class has no ServiceLoader manifest (META-INF/services), so plugin.discovery=hybrid_fail would refuse it: $row"
    elif [ "$type" = sink ] && [ "$(cut -f4 <<<"$row")" != "$version" ]; then
      bad "$label: $class reports version $(cut -f4 <<<"$row"), not $version"
    else
      ok "$label: $class ($type, version $(cut -f4 <<<"$row"), loadable, with manifest)"
    fi
  done
}

check_listing "tarball directory as plugin.path" "$jar" --plugin-path "$home"
check_listing "tarball directory as a plugin location" "$home" --plugin-location "$home"
check_listing "Confluent Hub component as a plugin location" "$component" --plugin-location "$component"

echo "check-plugin-path: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
