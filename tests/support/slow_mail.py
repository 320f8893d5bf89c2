"""An email backend for the worker tests: writes each message to its own file, named by its
Message-ID, and sleeps first on the one message whose subject says [slow] (the first time only),
so a test can kill the worker that is in the middle of sending it."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            msg_id = message.extra_headers["Message-ID"].strip("<>")
            if "[slow]" in message.subject:
                marker = folder / f"started-{msg_id}"
                if not marker.exists():
                    marker.write_text(str(os.getpid()))
                    time.sleep(60)  # killed here
            # One file per delivery: a second delivery of the same message adds a second file.
            n = 0
            while True:
                try:
                    with open(folder / f"sent-{msg_id}-{n}", "x") as f:
                        f.write(str(os.getpid()))
                    break
                except FileExistsError:
                    n += 1
        return len(email_messages)
