"""Loading a CSV into features and labels: text labels encoded, missing values imputed, categorical
features one-hot encoded (the original crashed on both), stratified split with the run's seed."""
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler


class TrainerError(Exception):
    """A failure with a user-facing message and a type for result.json."""

    def __init__(self, message: str, error_type: str):
        super().__init__(message)
        self.error_type = error_type


@dataclass
class Dataset:
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    label_encoder: LabelEncoder
    numeric: list
    categorical: list
    n_rows: int
    stratified: bool


def load_dataset(path: str, label_column: str, seed: int, test_size: float = 0.2, max_rows=None) -> Dataset:
    try:
        frame = pd.read_csv(path, nrows=max_rows)
    except FileNotFoundError:
        raise TrainerError(f"Dataset not found: {path}", "MissingFiles")
    except pd.errors.EmptyDataError:
        raise TrainerError(f"Dataset is empty: {path}", "InvalidDataset")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TrainerError(f"Dataset is not a readable CSV: {path}: {exc}", "InvalidDataset")
    if label_column not in frame.columns:
        columns = ", ".join(map(str, frame.columns))
        raise TrainerError(f"Label column '{label_column}' not found in the dataset (columns: {columns})", "InvalidDataset")
    frame = frame[frame[label_column].notna()]
    if len(frame) < 4:
        raise TrainerError(f"Dataset has {len(frame)} labelled rows; at least 4 are needed", "InvalidDataset")
    labels = frame[label_column].astype(str) if frame[label_column].dtype == object else frame[label_column]
    encoder = LabelEncoder()
    y = encoder.fit_transform(labels)
    if len(encoder.classes_) < 2:
        raise TrainerError("The label column has a single class; classification needs at least two", "InvalidDataset")
    X = frame.drop(columns=[label_column])
    X = X.loc[:, X.notna().any()]  # columns with no value at all carry nothing
    if X.shape[1] == 0:
        raise TrainerError("The dataset has no feature columns besides the label", "InvalidDataset")
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    for c in categorical:
        X[c] = X[c].astype("string").astype(object).where(X[c].notna(), np.nan)
    counts = np.bincount(y)
    n_test = max(int(round(len(y) * test_size)), len(counts))
    stratified = counts.min() >= 2 and n_test < len(y)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if stratified else None
    )
    return Dataset(X_train, X_test, y_train, y_test, encoder, numeric, categorical, len(frame), stratified)


def preprocessor(ds: Dataset, scale: bool) -> ColumnTransformer:
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    parts = []
    if ds.numeric:
        parts.append(("numeric", Pipeline(numeric_steps), ds.numeric))
    if ds.categorical:
        parts.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                ds.categorical,
            )
        )
    return ColumnTransformer(parts, remainder="drop")
