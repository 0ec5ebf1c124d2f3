"""Training and sitting-break moves of the virtual person: a glute squeeze, held until ``relax``.

Cue labels (DESIGN.md, events) the person answers here:

* ``reference``: the reference contraction a training set starts with: both glutes as hard as the
  person can (plateau level), hamstrings lightly; recorded as rep 0 of the truth;
* ``contract``: one rep of the squeeze exercise, at ``squeeze_share`` of the reference;
* ``prompt``: a sitting-break prompt: the person answers it (stands and squeezes, after
  ``prompt_reaction_ms``) with probability ``prompt_answer_share``, or ignores it; the truth
  says which (``answered``);
* ``relax``: let go of whatever squeeze is held;
* ``gate_glute``, ``gate_press``, ``gate_relax``: the signal-quality gate's test contractions
  before a guided test ("squeeze your left glute", "press your left heel into the floor"): one
  muscle of one side clearly, its neighbour a little; held until ``gate_relax`` (not in the truth's reps).

A ``:left``/``:right`` suffix squeezes one side only.  Pure state over the person's own plan
(no clock, no I/O), like :mod:`glutesense.virtual.person`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glutesense.model.roles import Muscle, Role, Side
from glutesense.virtual.shapes import Burst

_HAMSTRING_SHARE = 0.3
_GATE_MAIN_SHARE = 0.6
_GATE_OTHER_SHARE = 0.12


class Moves:
    """The squeeze moves of one person (see the module docstring).

    ``person`` is the :class:`~glutesense.virtual.person.VirtualPerson` (its plan and muscles) and
    ``make_rep`` its rep record's constructor (handed in, so this module does not import the person).
    """

    def __init__(self, person: Any, make_rep: Callable[..., Any]) -> None:
        self.person = person
        self.make_rep = make_rep
        self.open: list[Any] = []
        self.n_contract = 0
        self.n_prompt = 0

    def handlers(self) -> dict[str, Callable[[float, Side | None], None]]:
        return {
            "reference": self.reference,
            "contract": self.contract,
            "prompt": self.prompt,
            "relax": self.relax,
            "gate_glute": self.gate_glute,
            "gate_press": self.gate_hamstring,
            "gate_relax": self.relax,
        }

    def _squeeze(
        self,
        label: str,
        rep_no: int,
        t_cue_s: float,
        side: Side | None,
        share: float,
        reaction_s: float | None = None,
        *,
        hamstring_share: float = _HAMSTRING_SHARE,
        in_truth: bool = True,
    ) -> None:
        p = self.person
        self.relax(t_cue_s, None)
        reaction, t_first = p._start_after(t_cue_s)
        if reaction_s is not None:
            reaction, t_first = reaction_s, max(t_cue_s + reaction_s, p.generated_s + 1e-3)
        sides = (side,) if side is not None else (Side.LEFT, Side.RIGHT)
        for s in sides:
            muscles: dict[Role, Burst] = {}
            t0 = t_first + p._u((0.0, 20.0), 1e-3)
            muscles[Role.emg(Muscle.GLUTE_MAX, s)] = p._activate(Muscle.GLUTE_MAX, s, t0, share)
            t_ham = t0 + p._u((20.0, 80.0), 1e-3)
            muscles[Role.emg(Muscle.HAMSTRING, s)] = p._activate(
                Muscle.HAMSTRING, s, t_ham, hamstring_share * share
            )
            rep = self.make_rep(rep_no, s, label, t_cue_s, reaction, t0, muscles)
            if in_truth:
                p._reps.append(rep)
            self.open.append(rep)

    def reference(self, t_cue_s: float, side: Side | None) -> None:
        self._squeeze("reference", 0, t_cue_s, side, 1.0)

    def contract(self, t_cue_s: float, side: Side | None) -> None:
        self.n_contract += 1
        self._squeeze("contract", self.n_contract, t_cue_s, side, self.person.params.squeeze_share)

    def prompt(self, t_cue_s: float, side: Side | None) -> None:
        p = self.person
        self.n_prompt += 1
        answers = p._plan.uniform() < p.params.prompt_answer_share
        reaction_s = p._u(p.params.prompt_reaction_ms, 1e-3)
        if answers:
            self._squeeze("prompt", self.n_prompt, t_cue_s, side, p.params.squeeze_share, reaction_s)
        else:
            self.relax(t_cue_s, None)

    def gate_glute(self, t_cue_s: float, side: Side | None) -> None:
        share = _GATE_OTHER_SHARE / _GATE_MAIN_SHARE
        s = side or Side.LEFT
        self._squeeze("gate_glute", 0, t_cue_s, s, _GATE_MAIN_SHARE, hamstring_share=share, in_truth=False)

    def gate_hamstring(self, t_cue_s: float, side: Side | None) -> None:
        p = self.person
        self.relax(t_cue_s, None)
        s = side or Side.LEFT
        _, t0 = p._start_after(t_cue_s)
        muscles = {
            Role.emg(Muscle.HAMSTRING, s): p._activate(Muscle.HAMSTRING, s, t0, _GATE_MAIN_SHARE),
            Role.emg(Muscle.GLUTE_MAX, s): p._activate(
                Muscle.GLUTE_MAX, s, t0 + p._u((20.0, 80.0), 1e-3), _GATE_OTHER_SHARE
            ),
        }
        self.open.append(self.make_rep(0, s, "gate_press", t_cue_s, 0.0, t0, muscles))

    def relax(self, t_cue_s: float, side: Side | None) -> None:
        if not self.open:
            return
        p = self.person
        _, t_rel = p._start_after(t_cue_s)
        for rep in self.open:
            p._release(rep.muscles.values(), t_rel)
            rep.release_cue_s, rep.offset_s = t_cue_s, t_rel
        self.open = []
