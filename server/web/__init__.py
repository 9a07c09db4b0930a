"""The server's entry points: the Flask app factory, the JSON API, the Socket.IO
namespace and the gunicorn target. They turn a request or an event into one
service call and its answer into JSON or an ack; no SQL and no business rule here."""
