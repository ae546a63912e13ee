"""Recent answers of the offer listing and the search, per gateway app and process, for as long as the
read model is unchanged: the key holds its version, the number of events applied so far, which the
projector raises in the same transaction as every change (freshness.read_model_state)."""
from collections import OrderedDict


class AnswerCache:
    def __init__(self, size: int = 512):
        self.size, self.answers = size, OrderedDict()

    def get(self, version: int, key: tuple, compute):
        """compute() once per read-model version and key; the least recently used answers are dropped."""
        full_key = (version, *key)
        if full_key in self.answers:
            self.answers.move_to_end(full_key)
            return self.answers[full_key]
        answer = self.answers[full_key] = compute()
        if len(self.answers) > self.size:
            self.answers.popitem(last=False)
        return answer
