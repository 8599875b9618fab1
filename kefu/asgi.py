"""The ASGI application `kefu run` serves (uvicorn): Django's HTTP views and the WebSockets.

- /ws/push/  the agents' push socket: session login, and the Origin must be one of ALLOWED_HOSTS
  (a page on another site must not open it with the agent's cookie).
- /ws/chat/  the visitors' chat socket: the widget is embedded on other sites, so any Origin may
  connect; it never uses the session, only the visitor's signed token (kefu.chat.consumers).
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
django_asgi_app = get_asgi_application()  # sets Django up before the consumers import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from kefu.chat.consumers import VisitorConsumer  # noqa: E402
from kefu.realtime.consumers import PushConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/push/", AllowedHostsOriginValidator(AuthMiddlewareStack(PushConsumer.as_asgi()))),
    path("ws/chat/", VisitorConsumer.as_asgi()),
]

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": URLRouter(websocket_urlpatterns),
})
