# Mentor Relay: SMTP relay, filters and delivery worker in one process.
# The config, archive, DKIM key and outbox live on the /data volume:
#   docker run -v relay-data:/data IMAGE init /data --domain relay.example.org
#   docker run -v relay-data:/data -p 2525:2525 IMAGE
# Set [smtp] listen = "0.0.0.0:2525" in /data/relay.toml so that the
# listener is reachable from outside the container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY relay ./relay
COPY filters ./filters
COPY archive ./archive
COPY config ./config
COPY console ./console
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin relay \
    && mkdir /data && chown relay:relay /data

USER relay
VOLUME ["/data"]
EXPOSE 2525 8025
ENTRYPOINT ["mentor-relay"]
CMD ["--config", "/data/relay.toml", "serve"]
