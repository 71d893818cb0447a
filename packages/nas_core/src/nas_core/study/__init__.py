"""The study of issue 21: "is the person worth it?" measured. At equal training budgets
(model-epochs), automated searches (`nas_core.strategies`) and scripted users (policies
that send the commands a person sends) run as ordinary sessions; each budget's Pareto
front of (test accuracy, −log₁₀ params) is scored by its hypervolume, and the smallest
model reaching 90 % of the best accuracy is reported, mean ± sd over seeds.

Pure: `front` (hypervolume), `measure`, `aggregate`, `spec`, `users`, `tasks`'s arrays;
the runner that drives a `SessionService` is `run`."""

from .aggregate import REACH, REF, Row, RunKey, aggregate, mean_sd
from .front import hypervolume, pareto_front, size_of, smallest_reaching
from .measure import Found, found_within, spent_epochs
from .run import DONE, Run, fit_budget, run_study, task_data
from .spec import POLICIES, SCRIPTED, STRATEGIES, StudyError, StudySpec, run_session_id
from .tasks import TASKS, noisy_digits
from .users import baseline, front_models, make_user, val_acc

__all__ = [
    "DONE",
    "POLICIES",
    "REACH",
    "REF",
    "SCRIPTED",
    "STRATEGIES",
    "TASKS",
    "Found",
    "Row",
    "Run",
    "RunKey",
    "StudyError",
    "StudySpec",
    "aggregate",
    "baseline",
    "fit_budget",
    "found_within",
    "front_models",
    "hypervolume",
    "make_user",
    "mean_sd",
    "noisy_digits",
    "pareto_front",
    "run_session_id",
    "run_study",
    "size_of",
    "smallest_reaching",
    "spent_epochs",
    "task_data",
    "val_acc",
]
