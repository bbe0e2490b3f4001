"""Import: watch many tasks at once, from a file a submission script wrote (``rows``) or from
the gateway's own lists and task log (``harvest``); ``plan`` decides what is new, ``apply``
writes it through the one store and words the summary."""
