# The gateway as a container image: `docker build -t customs-gateway .`
# then `docker run --rm -v "$PWD:/data" customs-gateway translate --from upu-itmatt --to canonical /data/message.xml`
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md CHANGELOG.md ./
COPY gateway ./gateway
COPY schemas ./schemas
COPY mappings ./mappings
COPY samples ./samples
RUN pip install --no-cache-dir . && useradd --system --home /app gateway
USER gateway
ENTRYPOINT ["gateway"]
CMD ["--help"]
