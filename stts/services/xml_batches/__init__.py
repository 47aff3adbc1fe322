"""XML batches (structured messages), one module per job: ``intake`` receives a file and
answers what a sender may read about it, ``processing`` validates it (pass 1) and applies its
messages (pass 2), ``responses`` writes the response file; ``settings`` holds their limits.

Idempotency (security checklist 28): every message's result row (unique on company and
message id) is written in the same savepoint as its effect, so a message applies at most
once, for ever. Messages are committed in groups (``XML_GROUP_SIZE``, each message in its own
savepoint) together with the batch's progress counters: a worker killed mid-batch loses only
the uncommitted group, and the next run resumes after the last committed message (the lease
and resume of ``stts.worker.runner``).
"""
