# The gallery in a container: Hugging Face Spaces (Docker SDK, app_port 7860) or any container host.
# Not built in this repository's CI (no Docker daemon there): keep it this plain.
#
#     docker build -t gallery .                                # one `python app.py`
#     docker run -p 7860:7860 gallery
#     docker build --build-arg NGINX=yes -t gallery .          # with nginx, for replicas
#     docker run -p 7860:7860 -e REPLICAS=2 gallery            # deploy/serve.sh 2 7860
FROM python:3.11-slim

ARG NGINX=no
RUN if [ "$NGINX" = "yes" ]; then \
      apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

# The same settings as `python app.py` anywhere else, bound to every interface as a container must be.
# Spaces runs the container as user 1000: the cache and Matplotlib's folder must be writable by it.
ENV GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    GRADIO_TEMP_DIR=/tmp/gradio \
    MPLCONFIGDIR=/tmp/matplotlib \
    REPLICAS=1
EXPOSE 7860

# One process by default; REPLICAS > 1 (and an image built with NGINX=yes) serves that many behind nginx.
CMD ["sh", "-c", "if [ \"$REPLICAS\" -gt 1 ]; then exec deploy/serve.sh \"$REPLICAS\" \"$GRADIO_SERVER_PORT\"; else exec python app.py; fi"]
