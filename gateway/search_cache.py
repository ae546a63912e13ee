"""Recent search answers, per gateway app and process, for as long as the read model is unchanged: the
key holds the number of events applied so far, which the projector raises in the same transaction as
every change."""
from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .readmodel import partner_status


def read_model_version(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.sum(partner_status.c.events_applied), 0))).scalar_one()


class AnswerCache:
    def __init__(self, size: int = 512):
        self.size, self.answers = size, OrderedDict()

    def get(self, conn: Connection, key: tuple, compute):
        """compute() once per read-model version and key; the least recently used answers are dropped."""
        full_key = (read_model_version(conn), *key)
        if full_key in self.answers:
            self.answers.move_to_end(full_key)
            return self.answers[full_key]
        answer = self.answers[full_key] = compute()
        if len(self.answers) > self.size:
            self.answers.popitem(last=False)
        return answer
