from yunying_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The service's settings: the platform's, plus its own knobs from the environment
    (`YUNYING_CAMPAIGNS_<FIELD>`). One object per app, on `app.state.settings`."""
