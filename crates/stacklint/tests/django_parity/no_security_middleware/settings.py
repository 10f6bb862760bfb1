# Without SecurityMiddleware, the HSTS / nosniff / redirect / referrer checks do not apply.
SECRET_KEY = "q8$Zr4!vK9w@Lm2#Np7^Tx5&Yb3*Hc6(Jd1)Fg0-Se8+Ua4=Wi7_Oe2"
DEBUG = False
ALLOWED_HOSTS = ["www.example.com"]
SECURE_CONTENT_TYPE_NOSNIFF = False
SECURE_REFERRER_POLICY = None
X_FRAME_OPTIONS = "SAMEORIGIN"

INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes"]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
