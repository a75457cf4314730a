#!/usr/bin/env bash
# Regenerates docs/configuration.md from the connector's ConfigDef (needs `mvn -DskipTests package` first).
set -euo pipefail
cd "$(dirname "$0")/.."
m2=${HOME}/.m2/repository/org
cp="java-shim/target/classes:$(ls "$m2"/apache/kafka/kafka-clients/3.9.1/*.jar):$(ls "$m2"/apache/kafka/connect-api/3.9.1/*.jar):$(ls "$m2"/slf4j/slf4j-api/1.7.36/*.jar)"
{
  echo "# Configuration reference"
  echo
  echo "Generated from the connector's ConfigDef (\`StarRocksSinkConfig.toMarkdown()\`); \`StarRocksSinkConfigTest\` fails when this file and the ConfigDef disagree. Regenerate with \`scripts/gen-config-doc.sh\`."
  echo
  java -cp "$cp" com.starrocks.connector.kafka.StarRocksSinkConfig
} >docs/configuration.md
