# The sigstack image: the one `sigstack` binary (linked against glibc, hence a Debian runtime) on
# bookworm-slim, run as a non-root user, with the data directory (keys, sigstack.toml, the SQLite
# file if used) on the /data volume.
#
#   docker build -t sigstack:dev .
#   docker run --rm -v sigstack-data:/data sigstack:dev init --data-dir /data --listen 0.0.0.0:3000
#   docker run --rm -v sigstack-data:/data -p 3000:3000 sigstack:dev
#
# Air-gapped builds (docs/deployment.md): mirror the two base images below, and either give
# the build a crates.io mirror or vendor the dependencies (`cargo vendor` plus the
# `.cargo/config.toml` it prints) into the build context; `COPY . .` picks both up, and
# `--locked` guarantees the build uses exactly Cargo.lock. Nothing else is fetched: the
# runtime stage installs no packages (its CA bundle comes from the builder image), and there
# is deliberately no `# syntax=` line, which would make BuildKit pull a frontend image; the
# built-in frontend (Docker 23+, buildah, podman) understands the cache mounts below.

# Anything at or above the workspace's `rust-version` (1.89) builds it; this is the toolchain
# the test suite runs on.
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target directory between builds on one machine;
# the binary is copied out of the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p sigstack \
    && install -D -m 0755 target/release/sigstack /out/sigstack \
    && /out/sigstack --version

FROM ${RUNTIME_IMAGE} AS runtime
# The CA fetches OIDC discovery documents and JWKS over HTTPS (unless an issuer uses a static
# JWKS file), and rustls reads the system roots: take the builder image's bundle rather than
# installing packages here. Add a corporate root with SSL_CERT_FILE, or per issuer with
# `ca-cert` in the Fulcio-format issuer file.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/sigstack /usr/local/bin/sigstack
# A fixed numeric UID/GID, so Kubernetes can check runAsNonRoot and volumes can be chowned
# ahead of time. /data is created owned by it (mode 0700: it holds private keys); Docker
# copies that ownership into a new named volume.
RUN groupadd --system --gid 10001 sigstack \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin sigstack \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
# There is no curl in this image: the probe is bash's /dev/tcp and the `read` builtin. It
# checks /healthz (the process serves HTTP), not /readyz, because a standby is healthy even
# though it is not ready (docs/operations.md); compose and Kubernetes probe /readyz where
# they route writes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ \"$code\" = 200 ]"]
ENTRYPOINT ["sigstack"]
# Listen on every interface inside the container (the default is loopback only).
CMD ["serve", "--data-dir", "/data", "--listen", "0.0.0.0:3000"]
