"""An email backend for the worker's shutdown test: before sending a message whose subject says
[pause] it leaves a marker file and waits PAUSE_SECONDS, so that a test can stop the worker in
the middle of the send; each sent message leaves a file named by its Message-ID."""

import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

PAUSE_SECONDS = 3


class PausingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            msg_id = message.extra_headers["Message-ID"].strip("<>")
            if "[pause]" in message.subject:
                (folder / f"started-{msg_id}").touch()
                time.sleep(PAUSE_SECONDS)
            (folder / f"sent-{msg_id}").touch()
        return len(email_messages)
