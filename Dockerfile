# DotMac ISP: one image for every process (api, worker, beat, radius, migrations).
#   docker build -t dotmac-isp .
#   docker run --rm dotmac-isp --help
# See docs/deployment.md for the compose file that runs them together.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
# A virtual environment is copied whole into the runtime image: no compiler or build
# files there, and the dependency versions pinned in pyproject.toml.
RUN python -m venv /opt/dotmac && /opt/dotmac/bin/pip install .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="DotMac ISP" \
      org.opencontainers.image.description="Operations platform for internet service providers" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 dotmac \
    && useradd --system --uid 10001 --gid dotmac --home-dir /var/lib/dotmac --create-home \
       --shell /usr/sbin/nologin dotmac
COPY --from=build /opt/dotmac /opt/dotmac
ENV PATH=/opt/dotmac/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DOTMAC_HOST=0.0.0.0 \
    DOTMAC_RADIUS__HOST=0.0.0.0 \
    DOTMAC_DATABASE_URL=sqlite:////var/lib/dotmac/dotmac.db \
    DOTMAC_SUPPORT_ATTACHMENTS_DIR=/var/lib/dotmac/attachments
USER dotmac
WORKDIR /var/lib/dotmac
VOLUME ["/var/lib/dotmac"]
# HTTP API and pages; RADIUS authentication and accounting (UDP)
EXPOSE 8000 1812/udp 1813/udp
ENTRYPOINT ["dotmac-isp"]
# a single machine: API, pages, RADIUS and the job scheduler on SQLite
CMD ["serve"]
