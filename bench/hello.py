"""The bare-Flask reference: the fastest a request can be under the same gunicorn settings."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
