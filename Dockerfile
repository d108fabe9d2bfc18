# syntax=docker/dockerfile:1
#
# phreg container image. Requires BuildKit (the default builder since Docker 23 and in
# `docker compose`): it builds only the stages the chosen FLAVOR needs, so a CPU build never looks
# for libtorch.
#
# FLAVOR=cpu (default)
#   docker build -t phreg:cpu .
#   Temurin 17 JRE on Ubuntu. The PyTorch 2.7.1 CPU natives come from the
#   pytorch-native-cpu jar inside the application and are unpacked at build time.
#
# FLAVOR=cuda
#   DJL's JNI jar holds a CUDA glue library only for flavor cu128, so the image must carry the
#   CUDA 12.8 build of libtorch 2.7.1 (cxx11 ABI, "shared-with-deps"); any other CUDA flavor would
#   make DJL download its glue library at start-up, which fails offline. Supply it either way:
#   a) from the build context: unzip libtorch-cxx11-abi-shared-with-deps-2.7.1+cu128.zip here so
#      that ./libtorch/lib/libtorch.so exists (libtorch/ is git-ignored), then
#        docker build --build-arg FLAVOR=cuda -t phreg:cuda .
#   b) from an image of yours that holds it at /opt/libtorch/lib (or at LIBTORCH_DIR/lib):
#        docker build --build-arg FLAVOR=cuda --build-arg LIBTORCH_IMAGE=registry/libtorch:2.7.1-cu128 -t phreg:cuda .
#   The image then sets PYTORCH_LIBRARY_PATH=/opt/libtorch/lib, PYTORCH_FLAVOR=cu128 and
#   PYTORCH_VERSION=2.7.1, so DJL loads that libtorch and ignores the bundled CPU natives.
#   Run it with the NVIDIA container toolkit and a driver for CUDA 12.8 (R570 or newer):
#     docker run --gpus all ... phreg:cuda
#
# Run: docker run -p 8080:8080 -v phreg-data:/data -e PHREG_API_KEY=... phreg:cpu
# Other commands: docker run --rm phreg:cpu engine | inspect /data/models/...

ARG FLAVOR=cpu
ARG BUILD_IMAGE=eclipse-temurin:17-jdk-noble
ARG JRE_IMAGE=eclipse-temurin:17-jre-noble
# The CUDA variant borrows the Temurin JRE built for the same Ubuntu release as the CUDA image.
ARG CUDA_JRE_IMAGE=eclipse-temurin:17-jre-jammy
# libtorch's with-deps archive bundles the CUDA libraries it links against, so a smaller
# nvidia/cuda:12.8.1-base-ubuntu22.04 usually works too; the cuDNN runtime image is the safe default.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04
ARG LIBTORCH_IMAGE=libtorch-from-context

# ---------------------------------------------------------------------------------------------
# Build: dependencies first, so that a source change does not download the world again.
FROM ${BUILD_IMAGE} AS build
WORKDIR /workspace
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN chmod +x mvnw && ./mvnw -B -ntp dependency:go-offline
COPY src/ src/
RUN ./mvnw -B -ntp -DskipTests package
# Split the fat jar into Spring Boot's layers (dependencies change rarely, the application
# often); the extracted phreg.jar still starts with `java -jar` through its Class-Path.
RUN java -Djarmode=tools -jar target/phreg.jar extract --layers --destination /workspace/extracted

# ---------------------------------------------------------------------------------------------
# libtorch for FLAVOR=cuda, from the build context (default) or from LIBTORCH_IMAGE.
FROM scratch AS libtorch-from-context
COPY libtorch/lib/ /opt/libtorch/lib/

FROM ${LIBTORCH_IMAGE} AS libtorch

FROM ${CUDA_JRE_IMAGE} AS cuda-jre

# ---------------------------------------------------------------------------------------------
# libtorch's bundled MKL picks its matrix kernels by CPU vendor and gives AMD CPUs its generic
# ones; scripts/mkl-intel-path.c answers its vendor check "Intel", so it picks them by the
# instruction sets the CPU reports (bench/README.md, "MKL on AMD CPUs": on an AMD EPYC the
# teacher's forward pass 1.8x as fast). Harmless on Intel CPUs; CPU images only.
FROM ${BUILD_IMAGE} AS mkl-shim
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev; \
    rm -rf /var/lib/apt/lists/*
COPY scripts/mkl-intel-path.c scripts/mkl-intel-path.sh /src/
RUN bash /src/mkl-intel-path.sh /out

# ---------------------------------------------------------------------------------------------
FROM ${JRE_IMAGE} AS runtime-cpu
COPY --from=mkl-shim /out/libmkl-intel-path.so /opt/phreg-native/libmkl-intel-path.so
ENV LD_PRELOAD=/opt/phreg-native/libmkl-intel-path.so

FROM ${CUDA_IMAGE} AS runtime-cuda
ARG LIBTORCH_DIR=/opt/libtorch
ENV JAVA_HOME=/opt/java/openjdk \
    LANG=C.UTF-8
ENV PATH=${JAVA_HOME}/bin:${PATH}
COPY --from=cuda-jre /opt/java/openjdk/ /opt/java/openjdk/
COPY --from=libtorch ${LIBTORCH_DIR}/lib/ /opt/libtorch/lib/
# Without libtorch.so here DJL would silently fall back to the bundled CPU natives.
RUN test -f /opt/libtorch/lib/libtorch.so \
    || { echo "libtorch 2.7.1+cu128 not found: see the top of the Dockerfile" >&2; exit 1; }
ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_FLAVOR=cu128 \
    PYTORCH_VERSION=2.7.1

# ---------------------------------------------------------------------------------------------
# Common runtime, on top of whichever base FLAVOR picked (both are Ubuntu).
FROM runtime-${FLAVOR} AS runtime-base
# curl: for HEALTHCHECK. A JRE-only check would start a second JVM every interval (about half a
# CPU-second and tens of MB on a machine busy training), and a JRE has no javac to run a
# source-file check anyway; curl costs milliseconds. fontconfig and a font: the comparison
# pictures draw captions with java.awt.
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl fontconfig fonts-dejavu-core tzdata; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --gid 10001 phreg; \
    useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin phreg
# ENGINE_CACHE_DIR: natives unpacked at build time, root-owned and read-only at run time, so the
# service never writes 430 MB on start and works with a read-only root filesystem.
# DJL_CACHE_DIR: writable, for anything else DJL may want to cache (nothing, when offline).
# JAVA_TOOL_OPTIONS: offline stops DJL's telemetry probing a cloud metadata address; tensors
# live outside the heap, hence a small MaxRAMPercentage; after an OutOfMemoryError the JVM is in
# an unknown state, so exit and let the orchestrator restart it.
ENV ENGINE_CACHE_DIR=/opt/djl/engines \
    DJL_CACHE_DIR=/var/cache/phreg/djl \
    JAVA_TOOL_OPTIONS="-Dai.djl.offline=true -Djava.awt.headless=true -XX:MaxRAMPercentage=30 -XX:+ExitOnOutOfMemoryError" \
    PHREG_STORAGE_ROOT=/data/phreg \
    PHREG_ALLOWED_ROOTS=/data/models,/data/images \
    PHREG_DEVICE_SLOTS=1 \
    PHREG_BIND_ADDRESS=0.0.0.0 \
    MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED=true
WORKDIR /opt/phreg

# ---------------------------------------------------------------------------------------------
# Unpack the natives in a stage of their own: this stage reruns on every code change, but its
# output is byte-identical, so the final COPY below hits the cache and the 430 MB layer is
# shared between image versions instead of being pushed again.
FROM runtime-base AS natives
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/spring-boot-loader/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# Storage root redirected to /tmp: the command must leave nothing root-owned under /data.
# DJL creates its folders owner-only (mode 700): open them to the runtime user, read-only.
RUN set -eux; \
    PHREG_STORAGE_ROOT=/tmp/phreg-build java -jar phreg.jar engine; \
    find /tmp -mindepth 1 -delete; \
    test -n "$(find "${ENGINE_CACHE_DIR}" -name '*djl_torch*')"; \
    chmod -R a+rX,go-w "${ENGINE_CACHE_DIR}"

# ---------------------------------------------------------------------------------------------
FROM runtime-base AS runtime
ARG FLAVOR
LABEL org.opencontainers.image.title="phreg" \
      org.opencontainers.image.description="Retrofits register tokens into pretrained Vision Transformers (PH-Reg)" \
      ai.phreg.flavor="${FLAVOR}"
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=natives /opt/djl/engines/ /opt/djl/engines/
COPY --from=build /workspace/extracted/spring-boot-loader/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# /data holds artifacts, the embedded database and (by convention) teacher checkpoints and image
# folders; it must belong to the runtime user for a fresh named volume to be writable.
RUN set -eux; \
    mkdir -p /data/phreg /data/models /data/images "${DJL_CACHE_DIR}"; \
    chown -R phreg:phreg /data /var/cache/phreg
# Numeric and fixed, so that Kubernetes can verify runAsNonRoot and the manifests can match it.
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/actuator/health/liveness || exit 1
# Exec form: the JVM is PID 1 and gets SIGTERM directly for a graceful shutdown.
ENTRYPOINT ["java", "-jar", "/opt/phreg/phreg.jar"]
