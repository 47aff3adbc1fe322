"""Dossier operations of the desk, one module per job: ``lookup`` (what the desk may tell about
a person), ``requesting`` (request and transfer), ``changes`` (modify, activate, cease),
``cancelling`` (cancel the latest action), ``reading`` (the dossier page) and ``search`` (search
and export); ``records`` holds what they share (the timeline entry, optimistic locking, the
audit event).

Every operation is scoped to the acting user's company, owns its transaction, writes one
``DossierAction`` (the dossier's timeline) and one audit event (national register numbers
pseudonymized). Another operator's dossier is ``NotFound``; another operator's commercial
data is never returned.
"""
