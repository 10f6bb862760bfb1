SECRET_KEY = "q8$Zr4!vK9w@Lm2#Np7^Tx5&Yb3*Hc6(Jd1)Fg0-Se8+Ua4=Wi7_Oe2"
ALLOWED_HOSTS = ["www.example.com"]
SESSION_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]

MIDDLEWARE = []
