# Hangar as a container image: docker build -t hangar:dev .
# Runs `serve` on /etc/hangar/hangar.yaml (mount a config there; see deploy/kubernetes/hangar.yaml).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests install -pl flight-server -am

FROM eclipse-temurin:17-jre
WORKDIR /opt/hangar
COPY --from=build /src/flight-server/target/classes classes
COPY --from=build /src/flight-server/target/lib lib
EXPOSE 8815 8816
# Arrow needs java.nio opened; direct memory bounds the memory tier plus 256MiB of working memory.
ENV JAVA_OPTS="-XX:MaxDirectMemorySize=2g -Xmx1g"
ENTRYPOINT ["sh", "-c", "exec java --add-opens=java.base/java.nio=ALL-UNNAMED $JAVA_OPTS -cp 'classes:lib/*' dev.hangar.server.Main \"$@\"", "hangar"]
CMD ["serve", "--config", "/etc/hangar/hangar.yaml"]
