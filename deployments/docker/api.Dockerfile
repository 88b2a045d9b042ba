# The API process of the real stack: gunicorn serving config.wsgi on port 8000.
# Build from the repository root: docker build -f deployments/docker/api.Dockerfile .
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY manage.py ./
COPY config ./config
COPY domain ./domain
COPY apps ./apps

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app orderflow
WORKDIR /app
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings PORT=8000
RUN SECRET_KEY=collectstatic-only JWT_ALGORITHM=HS256 JWT_SECRET=collectstatic-only-not-a-real-secret-000 PAYMENT_PROVIDER=simulated \
    python manage.py collectstatic --no-input -v 0
USER orderflow
# Every gunicorn worker writes its metrics here and /metrics adds them up (config/gunicorn.py empties it at start).
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/orderflow-metrics
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live')"
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --config config/gunicorn.py --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-2} --threads 4 --forwarded-allow-ips '*'"]
