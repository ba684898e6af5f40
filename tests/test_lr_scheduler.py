"""pyad.optim.lr_scheduler against torch's: learning-rate sequences equal float for float."""
import math
import warnings

import pytest

import pyad
import pyad.optim

torch = pytest.importorskip("torch")


def make(lib, groups=2):
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    return lib.optim.SGD(params, lr=0.05, momentum=0.9)


SCHEDULERS = [
    ("StepLR", lambda m: dict(step_size=3, gamma=0.7)),
    ("MultiStepLR", lambda m: dict(milestones=[2, 5, 5, 11], gamma=0.3)),
    ("ExponentialLR", lambda m: dict(gamma=0.93)),
    ("CosineAnnealingLR", lambda m: dict(T_max=7)),
    ("CosineAnnealingLR", lambda m: dict(T_max=10, eta_min=0.01)),
    ("LambdaLR", lambda m: dict(lr_lambda=lambda e: 0.95 ** e + 1 / (e + 1))),
    ("LambdaLR", lambda m: dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: math.cos(e)])),
    ("MultiplicativeLR", lambda m: dict(lr_lambda=lambda e: 0.97)),
    ("ConstantLR", lambda m: dict(factor=0.4, total_iters=6)),
    ("LinearLR", lambda m: dict(start_factor=0.2, end_factor=0.9, total_iters=13)),
    ("PolynomialLR", lambda m: dict(total_iters=25, power=1.7)),
    ("CosineAnnealingWarmRestarts", lambda m: dict(T_0=4, T_mult=2, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", lambda m: dict(T_0=7)),
    ("OneCycleLR", lambda m: dict(max_lr=0.5, total_steps=41)),
    ("OneCycleLR", lambda m: dict(max_lr=[0.5, 0.3], epochs=5, steps_per_epoch=9,
                                  anneal_strategy="linear", three_phase=True)),
]


def sequence(lib, name, kwargs, epochs=40):
    opt = make(lib)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs(lib))
    out = [(sched.get_last_lr(), [(g["lr"], g["momentum"]) for g in opt.param_groups])]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append((sched.get_last_lr(), [(g["lr"], g["momentum"]) for g in opt.param_groups]))
    return out, sched


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[s[0] for s in SCHEDULERS])
def test_sequence_equals_torchs(name, kwargs):
    expected, t_sched = sequence(torch, name, kwargs)
    got, p_sched = sequence(pyad, name, kwargs)
    assert got == expected
    for v in got[-1][0]:
        assert type(v) is float
    t_sd, p_sd = t_sched.state_dict(), p_sched.state_dict()
    assert sorted(p_sd) == sorted(t_sd)
    for key in ("base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert p_sd[key] == t_sd[key]


def test_warm_restarts_with_fractional_epochs():
    seqs = []
    for lib in (torch, pyad):
        opt = make(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (0.5, 1.25, 3.0, 4.75, 9.5, 20.1):
                opt.step()
                sched.step(epoch)
                seq.append(sched.get_last_lr())
        seqs.append(seq)
    assert seqs[0] == seqs[1]


def test_one_cycle_cycles_adams_beta1():
    seqs = []
    for lib in (torch, pyad):
        opt = lib.optim.Adam([lib.zeros(2, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=20)
        seq = []
        for _ in range(20):
            opt.step()
            sched.step()
            seq.append((sched.get_last_lr(), opt.param_groups[0]["betas"]))
        seqs.append(seq)
    assert seqs[0] == seqs[1]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:4], ids=[s[0] for s in SCHEDULERS[:4]])
def test_state_dict_round_trip_resumes_the_sequence(name, kwargs):
    full, _ = sequence(pyad, name, kwargs, epochs=12)
    opt = make(pyad)
    sched = getattr(pyad.optim.lr_scheduler, name)(opt, **kwargs(pyad))
    for _ in range(5):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    opt2 = make(pyad)
    sched2 = getattr(pyad.optim.lr_scheduler, name)(opt2, **kwargs(pyad))
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    for i in range(6, 13):
        opt2.step()
        sched2.step()
        assert sched2.get_last_lr() == full[i][0]


def test_step_with_epoch_uses_the_closed_form_and_warns():
    results = []
    for lib in (torch, pyad):
        opt = make(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        opt.step()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step(7)
        results.append((sched.get_last_lr(), [str(x.message) for x in w]))
    assert results[0] == results[1]


def test_scheduler_before_optimizer_warns_as_torch():
    messages = []
    for lib in (torch, pyad):
        opt = make(lib)
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()
        messages.append([str(x.message) for x in w])
    assert messages[0] == messages[1] and len(messages[0]) == 1


@pytest.mark.parametrize("kwargs", [
    dict(), dict(mode="max", factor=0.5, patience=2), dict(threshold_mode="abs", threshold=0.05,
                                                           cooldown=2, patience=1),
    dict(min_lr=[0.01, 0.02], factor=0.2, patience=0), dict(mode="max", threshold_mode="abs"),
])
def test_reduce_on_plateau(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.97, 0.5, 0.5, 0.5, 0.51, 0.6, 0.2, 0.2,
               0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.25, 0.25, 0.3, 0.3] * 2
    seqs = []
    for lib in (torch, pyad):
        opt = make(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for m in metrics:
            opt.step()
            sched.step(m)
            seq.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best))
        seqs.append(seq)
    assert seqs[0] == seqs[1]
    assert seqs[1][-1][0] != seqs[1][0][0] or kwargs.get("mode") == "max"


@pytest.mark.parametrize("make_sched", [
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, mode="avg"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 2, last_epoch=3),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(object(), 2),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=2.0),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10,
                                                     pct_start=2.0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.1], total_steps=10),
    lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, 3),
])
def test_errors_match_torch(make_sched):
    errs = []
    for lib in (torch, pyad):
        with pytest.raises(Exception) as info:
            make_sched(lib, make(lib))
        errs.append((type(info.value).__name__, str(info.value)))
    assert errs[0] == errs[1]



@pytest.mark.parametrize("build", [
    lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
            m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
            m.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 11]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=4),
         m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
])
def test_sequential_and_chained(build):
    seqs = []
    for lib in (torch, pyad):
        opt = make(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = build(lib, opt)
            seq = [sched.get_last_lr()]
            for _ in range(30):
                opt.step()
                sched.step()
                seq.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups]))
        seqs.append((seq, sorted(sched.state_dict())))
    assert seqs[0] == seqs[1]


@pytest.mark.parametrize("build", [
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [], milestones=[]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[3]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler(
        [m.optim.lr_scheduler.ReduceLROnPlateau(o)]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [object()], milestones=[]),
])
def test_sequential_errors(build):
    errs = []
    for lib in (torch, pyad):
        with pytest.raises(Exception) as info:
            build(lib, make(lib))
        errs.append((type(info.value).__name__, str(info.value)))
    assert errs[0] == errs[1]
