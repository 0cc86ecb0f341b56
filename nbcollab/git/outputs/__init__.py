"""The git side of published outputs: the outputs refs, push, fetch, restore, prune and status.

``nbcollab.published`` says what a record is and checks what is read; this package moves records
in and out of git: ``refs`` reads and writes the outputs refs' trees and fetches and pushes them,
``publish`` builds records from the output cache for the commits being pushed, ``restore`` fills
working files (and gives the filter, ``show`` and the review page their source of records),
``prune`` rewrites the refs with fewer records, ``report`` says what they hold.
"""
