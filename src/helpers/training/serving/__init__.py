"""Serving a workshop to a room: one process, one page per participant, shared results.

``workbook workshop`` runs :mod:`.app` with the Solara server, which gives every browser tab
its own small "virtual kernel" inside one Python process. The data, the exercise material and
the room's results live once in that process (:class:`.room.Room`); a participant's page
holds only its widgets. The facilitator's console (:mod:`.console`) opens and closes the
exercises, runs the countdown and exports the answers; the projector (:mod:`.projector`)
shows the room's live results in large type.
"""
