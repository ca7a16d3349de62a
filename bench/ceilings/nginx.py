"""Ceiling (b): nginx `return 302` from a static map of every code, when nginx is installed."""

from __future__ import annotations

from pathlib import Path

from harness.processes import Process, spawn

NGINX_CONF = """\
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    map_hash_max_size 262144;
    map_hash_bucket_size 128;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $uri $hop_target {{
        default "";
        include {dir}/links.map;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=2048;
        location / {{
            if ($hop_target = "") {{ return 404; }}
            add_header cache-control "private, no-store";
            add_header x-robots-tag "noindex, nofollow";
            return 302 $hop_target;
        }}
    }}
}}
"""


def write_config(directory: Path, *, port: int, workers: int, links: dict[str, str]) -> Path:
    """nginx.conf and its links.map in ``directory``; returns the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "links.map").open("w") as out:
        for code, target in links.items():
            out.write(f'/{code} "{target}";\n')
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, port=port, workers=workers))
    return conf


def start_nginx(binary: str, conf: Path, *, port: int, log_path: Path) -> Process:
    """nginx on ``conf``, once it accepts connections on ``port``."""
    command = [binary, "-c", str(conf), "-e", str(log_path.with_name("nginx-error.log"))]
    process = spawn("nginx", command, env={}, log_path=log_path, port=port)
    process.wait_for_port()
    return process
