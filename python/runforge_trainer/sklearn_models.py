"""scikit-learn families: logistic_regression, random_forest, linear_svc (the original's defaults,
merged with the request's hyperparameters by runforge)."""
import inspect

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .data import Dataset, TrainerError, preprocessor

ESTIMATORS = {
    "logistic_regression": (LogisticRegression, True),
    "random_forest": (RandomForestClassifier, False),
    "linear_svc": (LinearSVC, True),
}


def build(family: str, hyperparameters: dict, ds: Dataset, seed: int) -> Pipeline:
    cls, scale = ESTIMATORS[family]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise TrainerError(
            f"Unknown hyperparameter(s) for {family}: {', '.join(unknown)}", "InvalidHyperparameters"
        )
    params = dict(hyperparameters)
    if "random_state" in accepted and params.get("random_state") is None:
        params["random_state"] = seed
    try:
        estimator = cls(**params)
    except (TypeError, ValueError) as exc:
        raise TrainerError(f"Invalid hyperparameters for {family}: {exc}", "InvalidHyperparameters")
    return Pipeline([("prep", preprocessor(ds, scale)), ("model", estimator)])
